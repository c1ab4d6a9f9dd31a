/**
 * An actor in one Node process pinging an actor in another, over an authenticated channel.
 *
 * Run (from the repository root):
 *
 *     npx tsx examples/ping-pong.ts            # 1000 pings over tcp loopback
 *     npx tsx examples/ping-pong.ts 5000 unix  # 5000 pings over a unix socket
 *
 * The parent process serves its Proc on a channel, starts a child process (this same file with
 * the argument `--ponger`), which serves its own Proc and spawns a `Ponger` actor. Both procs
 * have direct ids (`<channel addr>,<proc name>`), so each side's DialMailboxRouter dials the
 * other's address from the destination actor id alone. Both sides share a mesh secret (passed to
 * the child in its environment); a connection that cannot prove it is refused.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Actor, ActorRef, type Handlers } from 'actormesh';
import { Proc } from 'actormesh/actor';
import { DirectProcId } from 'actormesh/core';
import { DialMailboxRouter, installChannelDialer, serveMailbox } from 'actormesh/mailbox';
import { serve, anyAddr, formatAddr, type Transport } from 'actormesh/channel';

type PongerMsg = { type: 'ping'; n: number; replyTo: string };
type PingerMsg = { type: 'pong'; n: number; pid: number };

/** Answers every ping with a pong to the actor named in `replyTo`. */
class Ponger extends Actor<void, PongerMsg> {
  static typeName = 'examples::Ponger';
  private readonly refs = new Map<string, ActorRef<Pinger>>();
  readonly handlers: Handlers<PongerMsg> = {
    ping: (cx, m) => {
      let to = this.refs.get(m.replyTo);
      if (!to) this.refs.set(m.replyTo, (to = ActorRef.attest<Pinger>(m.replyTo)));
      to.send(cx, { type: 'pong', n: m.n, pid: process.pid });
    },
  };
}

/** Receives pongs and hands them to whoever waits for them. */
class Pinger extends Actor<void, PingerMsg> {
  static typeName = 'examples::Pinger';
  static onPong: (m: PingerMsg) => void = () => {};
  readonly handlers: Handlers<PingerMsg> = { pong: (_cx, m) => Pinger.onPong(m) };
}

/** A Proc reachable at a fresh channel address; it dials other direct procs on demand. */
async function servedProc(name: string, transport: Transport, secret: string): Promise<Proc> {
  installChannelDialer({ secret });
  const [addr, rx] = await serve(anyAddr(transport), { secret });
  const proc = new Proc(new DirectProcId(formatAddr(addr), name), new DialMailboxRouter());
  serveMailbox(rx, proc);
  return proc;
}

if (process.argv[2] === '--ponger') {
  const transport = (process.argv[3] ?? 'tcp') as Transport;
  const proc = await servedProc('ponger-proc', transport, process.env.ACTORMESH_EXAMPLE_SECRET!);
  const ponger = await proc.spawn('ponger', Ponger, undefined);
  process.stdout.write(`${ponger.actorId}\n`);
  process.stdin.on('end', () => process.exit(0)).resume();
} else {
  const rounds = Number(process.argv[2] ?? 1000);
  const transport = (process.argv[3] ?? 'tcp') as Transport;
  const secret = randomBytes(16).toString('hex');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--ponger', transport], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ACTORMESH_EXAMPLE_SECRET: secret },
  });
  const pongerId = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  const proc = await servedProc('pinger-proc', transport, secret);
  const pinger = await proc.spawn('pinger', Pinger, undefined);
  const cx = proc.instance('main');
  const ponger = ActorRef.attest<Ponger>(pongerId);
  console.log(`pinger ${pinger.actorId} (pid ${process.pid})\nponger ${pongerId} (pid ${child.pid})`);
  const rtts: number[] = [];
  let childPid = 0;
  for (let n = 0; n < rounds; n++) {
    const t0 = process.hrtime.bigint();
    const pong = new Promise<PingerMsg>((resolve) => (Pinger.onPong = resolve));
    ponger.send(cx, { type: 'ping', n, replyTo: String(pinger.actorId) });
    const m = await pong;
    if (m.n !== n) throw new Error(`pong ${m.n} answered ping ${n}`);
    childPid = m.pid;
    rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  rtts.sort((a, b) => a - b);
  const q = (p: number) => rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]!.toFixed(1);
  console.log(`${rounds} pings answered by process ${childPid} over ${transport}: round trip median ${q(0.5)} us, p99 ${q(0.99)} us`);
  child.stdin!.end();
  await new Promise((r) => child.on('exit', r));
  process.exit(0);
}
