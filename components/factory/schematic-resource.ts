/**
 * `FactorySchematic`: registers a schematic at the Talos Image Factory (POST /schematics).
 *
 * The ID is computed offline (schematic.ts) so previews know it; on create the provider first checks
 * that the factory offers the Talos version and every official extension of the schematic, then
 * registers it and fails clearly if the factory's ID differs from the local one (every URL derived
 * at preview time would otherwise point at the wrong image).
 *
 * The provider runs in Pulumi's provider host, which loads it from this file at each run (../dynamic.ts): it
 * builds its client from its inputs.
 */
import type * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "../dynamic";
import { FactoryClient, FactoryError, validateImageRequest } from "./client";
import { canonicalSchematicYaml, parseSchematic, schematicId, SchematicError } from "./schematic";

/** Inputs of the dynamic provider (plain values). */
export interface FactorySchematicInputs {
    /** Image Factory base URL, e.g. `https://factory.talos.dev`. */
    factoryUrl: string;
    /** Talos version the image is built for (checked against the factory), e.g. `v1.12.1`. */
    talosVersion: string;
    /** The schematic as YAML; it is canonicalised, so any equivalent spelling gives the same ID. */
    schematic: string;
}

/** Outputs (state) of the dynamic provider. */
export interface FactorySchematicOutputs extends FactorySchematicInputs {
    /** The schematic ID (64 hex), same as the resource ID. */
    schematicId: string;
}

/** What changed between two sets of inputs, and whether it needs a new resource. */
export function diffSchematicInputs(
    olds: FactorySchematicInputs,
    news: FactorySchematicInputs,
): pulumi.dynamic.DiffResult {
    const canon = (t: string): string => {
        try {
            return canonicalSchematicYaml(parseSchematic(t));
        } catch {
            return t;
        }
    };
    const replaces: string[] = [];
    const changed: string[] = [];
    if (canon(olds.schematic) !== canon(news.schematic)) replaces.push("schematic");
    if ((olds.factoryUrl ?? "").replace(/\/+$/, "") !== (news.factoryUrl ?? "").replace(/\/+$/, ""))
        replaces.push("factoryUrl");
    if (olds.talosVersion !== news.talosVersion) changed.push("talosVersion");
    const all = [...replaces, ...changed];
    return { changes: all.length > 0, replaces, stables: [], deleteBeforeReplace: false };
}

async function registerSchematic(inputs: FactorySchematicInputs): Promise<FactorySchematicOutputs> {
    const schematic = parseSchematic(inputs.schematic);
    const canonical = canonicalSchematicYaml(schematic);
    const localId = schematicId(schematic);
    const client = new FactoryClient(inputs.factoryUrl);
    await validateImageRequest(
        client,
        inputs.talosVersion,
        schematic.customization?.systemExtensions?.officialExtensions ?? [],
    );
    const remoteId = await client.createSchematic(canonical);
    if (remoteId !== localId) {
        throw new FactoryError(
            `The Image Factory at ${client.baseUrl} registered the schematic as ${remoteId}, but the ID computed locally ` +
                `(and used for the UKI URL and installer image at preview) is ${localId}. The factory may be an ` +
                `Enterprise instance that stamps an owner into schematics, or it canonicalises this schematic differently. ` +
                `Use the public https://factory.talos.dev in image.factoryUrl, or report this with the schematic:\n${canonical}`,
        );
    }
    return {
        factoryUrl: client.baseUrl,
        talosVersion: inputs.talosVersion,
        schematic: canonical,
        schematicId: localId,
    };
}

/** The dynamic provider. */
const factorySchematicProvider: pulumi.dynamic.ResourceProvider = {
    check(_olds: FactorySchematicInputs, news: FactorySchematicInputs): Promise<pulumi.dynamic.CheckResult> {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        try {
            new FactoryClient(news.factoryUrl);
        } catch (e) {
            failures.push({ property: "factoryUrl", reason: (e as Error).message });
        }
        if (typeof news.talosVersion !== "string" || !/^v?\d+\.\d+\.\d+/.test(news.talosVersion)) {
            failures.push({
                property: "talosVersion",
                reason: `talosVersion "${news.talosVersion}" is not a version (parseStackConfig checks cluster.talosVersion)`,
            });
        }
        try {
            parseSchematic(news.schematic ?? "");
        } catch (e) {
            failures.push({ property: "schematic", reason: e instanceof SchematicError ? e.message : String(e) });
        }
        return Promise.resolve({ inputs: news, failures });
    },

    async create(inputs: FactorySchematicInputs): Promise<pulumi.dynamic.CreateResult> {
        const outs = await registerSchematic(inputs);
        return { id: outs.schematicId, outs };
    },

    async update(
        _id: string,
        _olds: FactorySchematicOutputs,
        news: FactorySchematicInputs,
    ): Promise<pulumi.dynamic.UpdateResult> {
        // Only talosVersion changes reach here (schematic or factory changes replace): re-check that the
        // new version offers every extension, and make sure the schematic is (still) registered.
        return { outs: await registerSchematic(news) };
    },

    diff(_id: string, olds: FactorySchematicOutputs, news: FactorySchematicInputs): Promise<pulumi.dynamic.DiffResult> {
        return Promise.resolve(diffSchematicInputs(olds, news));
    },

    async read(id: string, props?: FactorySchematicOutputs): Promise<pulumi.dynamic.ReadResult> {
        if (!props?.factoryUrl) return { id, props };
        const client = new FactoryClient(props.factoryUrl);
        try {
            const text = await client.getSchematic(id);
            return {
                id,
                props: { ...props, schematicId: id, schematic: canonicalSchematicYaml(parseSchematic(text)) },
            };
        } catch (e) {
            // Gone from the factory: report it as deleted so the next `up` registers it again.
            if (e instanceof FactoryError && e.status === 404) return {};
            throw e;
        }
    },

    async delete(): Promise<void> {
        // The factory has no delete: schematics are content-addressed and shared. Nothing to do.
    },
};

/** A schematic registered at an Image Factory; its ID is the schematic ID. */
export class FactorySchematic extends dynamicResource<FactorySchematicInputs, FactorySchematicOutputs>({
    module: "homelab",
    type: "FactorySchematic",
    file: __filename,
    provider: factorySchematicProvider,
    outputs: ["schematicId"],
}) {}
