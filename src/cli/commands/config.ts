/** `dicom-edge config check [FILE]`: every problem and warning at once; exit 1 when invalid. */
import { configCheckCommand } from '../../config/check';

export const usage = 'config check [FILE]';

export async function run(argv: string[]): Promise<number> {
  const [sub, file, ...rest] = argv;
  if (sub !== 'check' || rest.length > 0) {
    process.stderr.write(`usage: dicom-edge ${usage}\n`);
    return 2;
  }
  const r = configCheckCommand(file);
  for (const l of r.lines) (r.exitCode === 0 ? process.stdout : process.stderr).write(`${l}\n`);
  return r.exitCode;
}
