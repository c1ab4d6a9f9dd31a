// Test certificates made with the `openssl` CLI in a temp dir: a CA, a server certificate for IP
// 127.0.0.1, a client certificate, a second CA with its own client, and a "node" certificate
// (server and client use, IP 127.0.0.1) for meshes where every process both serves and dials.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
export const NO_OPENSSL = 'the openssl CLI is not installed (needed to make test certificates; Debian package openssl)';

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCa: string;
  otherClientCert: string;
  otherClientKey: string;
  nodeCert: string;
  nodeKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, a server certificate for IP 127.0.0.1 and a client certificate; a second CA with its own client. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'actormesh-tls-'));
  writeFileSync(
    join(dir, 'ca.cnf'),
    '[req]\ndistinguished_name = dn\n[dn]\n[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n',
  );
  writeFileSync(
    join(dir, 'server.ext'),
    'basicConstraints = CA:FALSE\nsubjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\nauthorityKeyIdentifier = keyid\n',
  );
  writeFileSync(
    join(dir, 'node.ext'),
    'basicConstraints = CA:FALSE\nsubjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth,clientAuth\nauthorityKeyIdentifier = keyid\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'basicConstraints = CA:FALSE\nextendedKeyUsage = clientAuth\nauthorityKeyIdentifier = keyid\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) =>
    openssl(dir, [
      'req',
      '-x509',
      '-config',
      'ca.cnf',
      '-extensions',
      'v3_ca',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
  const leaf = (name: string, issuer: string, ext: string) => {
    openssl(dir, ['req', '-config', 'ca.cnf', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${issuer}.pem`,
      '-CAkey',
      `${issuer}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      ext,
    ]);
  };
  ca('ca');
  ca('other-ca');
  leaf('server', 'ca', 'server.ext');
  leaf('client', 'ca', 'client.ext');
  leaf('other-client', 'other-ca', 'client.ext');
  leaf('node', 'ca', 'node.ext');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    otherCa: p('other-ca.pem'),
    otherClientCert: p('other-client.pem'),
    otherClientKey: p('other-client.key'),
    nodeCert: p('node.pem'),
    nodeKey: p('node.key'),
  };
}
