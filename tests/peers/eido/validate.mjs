// Validates EIDO documents against NENA's EIDO JSON schema with ajv, independently of ncc.
//   node validate.mjs SCHEMA_DIR FILE.json...
// SCHEMA_DIR is NENA's Schema folder (openapi.yaml and NIEMComponents/*.yaml), read where it
// lies (the data folder), never copied. Prints one JSON line per file: {"file", "valid",
// "errors"}; exits 1 when any file is invalid, 2 on a usage or schema error.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import YAML from "yaml";

const [schemaDir, ...files] = process.argv.slice(2);
if (!schemaDir || files.length === 0) {
  console.error("usage: node validate.mjs SCHEMA_DIR FILE.json...");
  process.exit(2);
}

// OpenAPI 3.0 schema objects are JSON Schema but for a few keywords of their own, which ajv is
// told about (annotations, no assertion), and `nullable`, which ajv supports natively.
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
for (const k of ["example", "xml", "externalDocs", "discriminator"])
  ajv.addKeyword(k);

// Two typos of NENA's openapi.yaml are mended as it is read: "minItems: 1," (AgentInformationType),
// which YAML takes as text, is read as the number it starts with, and the reference
// "NIEMComponents//j.yaml#..." (CommercialVehicle) as the file it names, with one slash.
const NUMERIC = new Set(["minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum"]);
function mendNumbers(node) {
  if (Array.isArray(node)) return node.forEach(mendNumbers);
  if (!node || typeof node !== "object") return;
  for (const [k, v] of Object.entries(node)) {
    if (NUMERIC.has(k) && typeof v === "string" && !Number.isNaN(parseFloat(v))) node[k] = parseFloat(v);
    else if (k === "$ref" && typeof v === "string" && v.includes("//") && !v.includes(":"))
      node[k] = v.replace(/\/\/+/g, "/");
    else mendNumbers(v);
  }
}

// Each YAML document under its file URL, so that "NIEMComponents/nc.yaml#/components/..."
// resolves as it does on disk. Only the referenced components are compiled.
function load(file) {
  const doc = YAML.parse(fs.readFileSync(file, "utf8"), { maxAliasCount: -1 });
  mendNumbers(doc);
  ajv.addSchema({ $id: pathToFileURL(file).href, ...doc, paths: undefined });
}
const root = path.resolve(schemaDir, "openapi.yaml");
load(root);
const niem = path.resolve(schemaDir, "NIEMComponents");
for (const f of fs.readdirSync(niem)) if (f.endsWith(".yaml")) load(path.join(niem, f));

let validate;
try {
  validate = ajv.getSchema(pathToFileURL(root).href + "#/components/schemas/EmergencyIncidentDataObjectType");
} catch (e) {
  console.error("schema: " + e.message);
  process.exit(2);
}
let bad = 0;
for (const file of files) {
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  const valid = validate(doc);
  if (!valid) bad++;
  const errors = (validate.errors || []).slice(0, 20).map((e) => `${e.instancePath || "/"} ${e.message}`);
  console.log(JSON.stringify({ file, valid, errors }));
}
process.exit(bad ? 1 : 0);
