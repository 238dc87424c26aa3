/**
 * Secrets are kept as typed (issue 24): a password with blanks around it reaches DSM and upsmon.conf exactly as it
 * was set, from the stack config through the parser to the wire (the DSM simulator compares passwords byte for byte,
 * as DSM does).
 */
import * as YAML from "yaml";
import { parseStackConfig } from "../../components/config";
import { connectionArgs } from "../../components/synology/connection";
import { DsmClient } from "../../components/synology/dsm/client";
import { renderNodePatches } from "../../components/talos/patches";
import { startDsmSimulator } from "../support/dsm-simulator";
import { caught } from "../support/rejection";
import { devValues } from "./values";

const DSM_PASSWORD = " s3cret ";
const UPS_PASSWORD = '  two "words" ';

test("a DSM password with blanks around it logs in to the NAS as typed; the trimmed one would not", async () => {
    const sim = await startDsmSimulator({ users: { admin: DSM_PASSWORD } });
    try {
        const v = devValues();
        v.synology = { ...v.synology, url: sim.url, allowHttp: true };
        v.synologyPassword = DSM_PASSWORD;
        const cfg = parseStackConfig(v);
        const options = { retries: 0, log: () => undefined };
        await new DsmClient({ ...connectionArgs(cfg.synology), password: cfg.synologyPassword }, options).login();
        const login = sim.requests.find((r) => r.api === "SYNO.API.Auth" && r.method === "login");
        expect(login?.params.passwd).toBe(DSM_PASSWORD);
        expect(sim.counters.logins).toBe(1);

        const trimmed = new DsmClient({ ...connectionArgs(cfg.synology), password: DSM_PASSWORD.trim() }, options);
        expect(await caught(trimmed.login())).toMatchObject({ name: "DsmError", code: 400 });
    } finally {
        await sim.close();
    }
});

test("the UPS password appears verbatim, quoted as NUT needs, in the rendered upsmon.conf", () => {
    const v = devValues();
    v.upsPassword = UPS_PASSWORD;
    const cfg = parseStackConfig(v);
    expect(cfg.upsPassword).toBe(UPS_PASSWORD);
    const patches = renderNodePatches({
        cluster: cfg.cluster,
        node: cfg.nodes[0],
        index: 0,
        installerImage: "factory.talos.dev/metal-installer/abc:v1.12.1",
        ups: cfg.ups,
        upsPassword: cfg.upsPassword,
    });
    const nut = patches.find((p) => p.label === "ups.nutClient")!;
    expect(nut.secret).toBe(true);
    const upsmon = (YAML.parse(nut.text) as { configFiles: { content: string }[] }).configFiles[0].content;
    // NUT's parser: a token with blanks or quotes in double quotes, `"` and `\` escaped with a backslash.
    expect(upsmon.split("\n")[0]).toBe('MONITOR ups@192.168.0.6 1 monuser "  two \\"words\\" " secondary');
});
