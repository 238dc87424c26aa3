/**
 * Jest setup of the end-to-end suite (e2e/jest.config.js): the scenarios of one worker use a loopback block of
 * their own ({@link workerLoopbackBase}), so two workers can run scenarios at once without sharing a node's
 * address. Everything else a scenario starts listens on a port the system picks, or lives in its own temporary
 * folder.
 */
import { workerLoopbackBase } from "./loopback";

process.env.HOMELAB_E2E_LOOPBACK_BASE = workerLoopbackBase(process.env);
