// Validate one glTF / GLB file with the Khronos glTF validator and print its report as JSON on stdout.
//
// Usage: node gltf_validate.js <node_modules folder> <file> [maxIssues]
// Exit status: 0 when a report was printed (whatever it says), 2 for bad arguments or an unreadable file,
// 3 when the validator package cannot be loaded, 4 when the validator rejects the input outright.
"use strict";

const fs = require("fs");
const path = require("path");

function fail(code, message) {
    process.stderr.write(message + "\n");
    process.exit(code);
}

const [modulesDir, file, maxIssuesArg] = process.argv.slice(2);
if (!modulesDir || !file) {
    fail(2, "usage: node gltf_validate.js <node_modules folder> <file> [maxIssues]");
}

let validator;
try {
    validator = require(path.join(path.resolve(modulesDir), "gltf-validator"));
} catch (error) {
    fail(3, "cannot load gltf-validator from " + modulesDir + ": " + error.message);
}

let bytes;
try {
    bytes = fs.readFileSync(file);
} catch (error) {
    fail(2, "cannot read " + file + ": " + error.message);
}

const fullpath = path.resolve(file);
validator.validateBytes(new Uint8Array(bytes), {
    uri: path.basename(fullpath),
    maxIssues: Number(maxIssuesArg || 100),
    externalResourceFunction: (uri) => new Promise((resolve, reject) => {
        const resource = path.resolve(path.dirname(fullpath), decodeURIComponent(uri));
        fs.readFile(resource, (error, data) => (error ? reject(error.toString()) : resolve(new Uint8Array(data))));
    }),
}).then(
    (report) => {
        report.validatorVersion = validator.version();
        process.stdout.write(JSON.stringify(report));
    },
    (error) => fail(4, "the validator rejected the file: " + String(error)),
);
