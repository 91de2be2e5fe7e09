/**
 * `dicom-edge config check [FILE]`: every problem and warning at once; exit 1 when invalid.
 * `dicom-edge config default`: print the embedded default INI (what first run writes).
 */
import { configCheckCommand } from '../../config/check';
import { defaultIniText } from '../../config/default-ini';

export const usage = 'config check [FILE] | config default';

export async function run(argv: string[]): Promise<number> {
  const [sub, file, ...rest] = argv;
  if (sub === 'default' && file === undefined) {
    process.stdout.write(defaultIniText());
    return 0;
  }
  if (sub !== 'check' || rest.length > 0) {
    process.stderr.write(`usage: dicom-edge ${usage}\n`);
    return 2;
  }
  const r = configCheckCommand(file);
  for (const l of r.lines) (r.exitCode === 0 ? process.stdout : process.stderr).write(`${l}\n`);
  return r.exitCode;
}
