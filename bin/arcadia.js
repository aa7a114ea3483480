#!/usr/bin/env node
// The CLI, bundled: loading a few hundred small ES modules one by one costs more than a short command.
import '../dist/bundle/arcadia.mjs';
