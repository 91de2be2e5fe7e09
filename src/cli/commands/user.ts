/**
 * `dicom-edge user add NAME --role admin|viewer [--config FILE]`: reads the password from
 * stdin (first line; a terminal is not required, so scripts can pipe it), stores a salted
 * scrypt hash in the INI's [Web] section (FILE.bak keeps the previous version).
 */
import { readFileSync } from 'node:fs';
import { parseArgs, str } from '../args';
import { resolveConfigPath } from '../../config/load';
import { EdgeError } from '../../util/errors';
import { hashPassword, iniWithUser } from '../../web/users';
import { writeFileAtomicWithBackup } from '../../tune/apply';
import { checkConfigFile } from '../../config/check';
import '../../web/config';

export const usage = 'user add NAME --role admin|viewer [--config FILE]   (password on stdin)';

const FLAGS = [
  { names: ['--config', '-c'], value: true, key: 'config' },
  { names: ['--role', '-r'], value: true, key: 'role' },
];

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, FLAGS);
  const [sub, name, ...rest] = a.positionals;
  const role = str(a, 'role') ?? 'viewer';
  if (sub !== 'add' || !name || rest.length) {
    process.stderr.write(`usage: dicom-edge ${usage}\n`);
    return 2;
  }
  if (role !== 'admin' && role !== 'viewer') throw new EdgeError('CLI_BAD_ROLE', `--role ${role}: must be admin or viewer`);
  const path = resolveConfigPath(str(a, 'config'));
  if (!path) throw new EdgeError('CLI_NO_CONFIG', 'user add needs --config FILE (or DICOM_CONFIG_FILE)');
  const password = await readStdinLine();
  if (password.length < 8) throw new EdgeError('WEB_WEAK_PASSWORD', 'the password (first line of stdin) must have at least 8 characters');
  const text = readFileSync(path, 'utf8');
  const { backup } = writeFileAtomicWithBackup(path, iniWithUser(text, { name, role, hash: hashPassword(password) }));
  process.stdout.write(`user ${name} (${role}) written to ${path} (previous version: ${backup})\n`);
  const check = checkConfigFile(path);
  if (!check.ok) process.stderr.write(`warning: ${path} does not pass config check:\n${check.lines.join('\n')}\n`);
  return 0;
}
