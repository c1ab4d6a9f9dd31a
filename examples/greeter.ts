/**
 * The actor of the proc-mesh demo (examples/demo.ts). It lives in its own module so child procs
 * can import it: `registerActor(Greeter, { module: import.meta.url })` records this file's URL
 * and ProcessAlloc children import it before spawning anything.
 */
import { Actor, type Context, type Handlers, type OncePortRef, type PortRef, registerActor } from 'actormesh';
import { castPointOf } from 'actormesh/mesh';

export interface Greeting {
  readonly text: string;
  readonly pid: number;
}

export type GreeterMsg = { type: 'greet'; who: string; reply: PortRef<Greeting> | OncePortRef<Greeting> };

export class Greeter extends Actor<{ greeting: string }, GreeterMsg> {
  static typeName = 'examples::Greeter';
  private readonly greeting: string;
  constructor(p: { greeting: string }) {
    super();
    this.greeting = p.greeting;
  }
  readonly handlers: Handlers<GreeterMsg> = {
    greet: (cx: Context, m) => {
      const where = castPointOf(cx.headers)?.toString() ?? String(cx.self);
      m.reply.send(cx, { text: `${this.greeting}, ${m.who}, from ${where}`, pid: process.pid });
    },
  };
}

registerActor(Greeter, { module: import.meta.url });
