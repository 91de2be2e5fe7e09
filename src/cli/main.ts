/**
 * `dicom-edge <command> [options]`. Each command lives in ./commands and returns its exit
 * code; nothing here knows DICOM. Unexpected errors print one line and exit 1.
 */
import { printError } from './context';
import { packageVersion as version } from '../config/version';
import '../config/features'; // every feature's sections, keys and abbreviations

interface Command { usage: string; run(argv: string[]): Promise<number> }

const COMMANDS: Record<string, () => Command> = {
  run: () => require('./commands/run'),
  echo: () => require('./commands/echo'),
  store: () => require('./commands/store'),
  find: () => require('./commands/find'),
  move: () => require('./commands/move'),
  get: () => require('./commands/get'),
  config: () => require('./commands/config'),
  pdudump: () => require('./commands/pdudump'),
  tune: () => require('./commands/tune'),
  queue: () => require('./commands/queue'),
  user: () => require('./commands/user'),
  console: () => require('./commands/console'),
  print: () => require('./commands/print'),
  'print-queue': () => require('./commands/print-queue'),
  worklist: () => require('./commands/worklist'),
};

function help(): string {
  const lines = Object.entries(COMMANDS).map(([, load]) => `  dicom-edge ${load().usage}`);
  return `dicom-edge ${version()} — DICOM edge agent\n\nusage:\n${lines.join('\n')}\n  dicom-edge --version\n\nConfiguration: --config FILE, else $DICOM_CONFIG_FILE, else the embedded default.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`dicom-edge: unknown command "${name}"\n${help()}`);
    return 2;
  }
  try {
    return await load().run(rest);
  } catch (e) {
    printError(e);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => { printError(e); process.exit(1); });
}
