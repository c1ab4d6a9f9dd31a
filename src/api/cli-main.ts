#!/usr/bin/env node
// The `actormesh` command from the sources (the package's bin is dist/bundle/cli.js, the same call).
import { runCli } from './cli.js';

runCli(process.argv.slice(2));
