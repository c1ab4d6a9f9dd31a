/**
 * Entry script of a ProcessAlloc child process (`node [--import tsx] child-main.{ts,js}`): runs
 * the child side of the bootstrap protocol until told to exit or the parent dies.
 */
import { bootstrapChild } from './child-bootstrap.js';

await bootstrapChild();
