/**
 * Reference data of the tests: public upstream files (schemas), committed under third_party/reference/ byte for
 * byte as upstream has them, each pinned here by repository, ref, path and sha256 (third_party/reference/ORIGIN
 * names each file's licence). Nothing is downloaded: a fresh clone has everything the tests read.
 *
 * Tests read with `readReferenceText` / `readReferenceJson`; the first read of a file checks its sha256 against
 * the pin, so a file edited by accident fails loudly instead of quietly testing against other data.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "./shared";

/** Where the committed copies live. */
export const REFERENCE_DIR = path.join(repoRoot, "third_party", "reference");
/** Where upstream serves them (`<base>/<owner>/<repo>/<ref>/<path>`). */
export const UPSTREAM_BASE_URL = "https://raw.githubusercontent.com";

export interface ReferenceFile {
    /** File name under third_party/reference/. */
    name: string;
    /** GitHub repository, `owner/name`. */
    repo: string;
    /** Release tag or full commit id the file is pinned at. */
    ref: string;
    /** Path of the file inside the repository at `ref`. */
    path: string;
    /** sha256 (hex) of the upstream bytes, which are the committed bytes. */
    sha256: string;
    /** The licence file beside it (third_party/reference/LICENSE.<owner>-<repo>). */
    licence: string;
}

/** Every reference file the tests read. A test that reads a name not listed here fails with a pointer to this list. */
export const REFERENCE_FILES: readonly ReferenceFile[] = [
    {
        name: "talos-config-schema-v1.12.1.json",
        repo: "siderolabs/talos",
        ref: "v1.12.1", // commit 7ea2ef7cf4d0d48ac9b30eca9b7ec17aa83fde50
        path: "pkg/machinery/config/schemas/config.schema.json",
        sha256: "e37cdc389741c6bf474b5539cc10c518e82c1c9f6388c63510b311cce625a052",
        licence: "LICENSE.siderolabs-talos",
    },
    {
        name: "talos-config-schema-v1.13.9.json",
        repo: "siderolabs/talos",
        ref: "v1.13.9", // commit 3ebd10a7c1bd0f81742bdcd0c3fe56d727db7401, the head of branch release-1.13
        path: "pkg/machinery/config/schemas/config.schema.json",
        sha256: "3729ac38813c92a35d3159444402d9e7955b5b67aa28303969d5e1d1fa9d2d1d",
        licence: "LICENSE.siderolabs-talos",
    },
    {
        // Tag v1.14.0-rc.1, the head of branch release-1.14 in the snapshot read: v1.14.0 itself was not in it.
        name: "talos-config-schema-v1.14.0-rc.1.json",
        repo: "siderolabs/talos",
        ref: "7a84d742b3d53451cbaa1eb91d9b12403e80161c",
        path: "pkg/machinery/config/schemas/config.schema.json",
        sha256: "9727a9c856e865aa927e122eb93c25019ec09664ad38c91364acca7c369cbb3a",
        licence: "LICENSE.siderolabs-talos",
    },
    {
        name: "pulumi-talos-schema-v0.8.1.json",
        repo: "pulumiverse/pulumi-talos",
        ref: "v0.8.1", // commit 1b5d2525bc890eb0eaf2cbf7e61fa7f9cbe2313f
        path: "provider/cmd/pulumi-resource-talos/schema.json",
        sha256: "353f9289300c548ce41fb36033bbae45abde70812f8f7470e3ee0179692105f6",
        licence: "LICENSE.pulumiverse-pulumi-talos",
    },
    {
        // No release tag holds this version of the file: it lived on master between v3.43.1 and v3.44.0.
        name: "pulumi-project-schema.json",
        repo: "pulumi/pulumi",
        ref: "0498be116be896fa28b5af4746ad197666167d85",
        path: "sdk/go/common/workspace/project.json",
        sha256: "2002d197ef67648db8f92982012421d285459b3c14d135a5743abab0429eca93",
        licence: "LICENSE.pulumi-pulumi",
    },
];

/** The manifest entry of `name`; throws naming the manifest when the tests read a file nobody pinned. */
export function referenceFile(name: string): ReferenceFile {
    const file = REFERENCE_FILES.find((f) => f.name === name);
    if (!file) {
        throw new Error(
            `reference file ${name} is not pinned: add it to REFERENCE_FILES in tests/support/reference.ts ` +
                "with its upstream repository, tag or commit, path, sha256 and licence, and commit the file " +
                "under third_party/reference/",
        );
    }
    return file;
}

/** Where upstream serves a pinned file: `<base>/<owner>/<repo>/<ref>/<path>`, the layout of raw.githubusercontent.com. */
export function upstreamUrl(file: ReferenceFile): string {
    return `${UPSTREAM_BASE_URL}/${file.repo}/${file.ref}/${file.path}`;
}

export function sha256Hex(bytes: Buffer): string {
    return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** The bytes of a pinned file, checked against its pin (pure apart from the read; `dir` for tests). */
export function readReferenceBytes(name: string, dir: string = REFERENCE_DIR): Buffer {
    const file = referenceFile(name);
    const where = path.join(dir, file.name);
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(where);
    } catch {
        throw new Error(`reference file ${name} is missing: ${where} (it is committed; restore it with git checkout)`);
    }
    const sum = sha256Hex(bytes);
    if (sum !== file.sha256) {
        throw new Error(
            `reference file ${where} has sha256 ${sum}, not the pinned ${file.sha256}: it must hold upstream's bytes ` +
                `(${upstreamUrl(file)}); restore it, or re-pin it in tests/support/reference.ts with the new upstream ref`,
        );
    }
    return bytes;
}

const readCache = new Map<string, string>();

/** The text of a pinned reference file (checked once per process). */
export function readReferenceText(name: string): string {
    const known = readCache.get(name);
    if (known !== undefined) return known;
    const text = readReferenceBytes(name).toString("utf8");
    readCache.set(name, text);
    return text;
}

/** A pinned reference file parsed as JSON. */
export function readReferenceJson<T = unknown>(name: string): T {
    return JSON.parse(readReferenceText(name)) as T;
}
