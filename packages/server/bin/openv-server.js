#!/usr/bin/env node
// The `openv-server` command. A committed file, so that `pnpm install` can link the bin before the
// package is built (a bin pointing into dist/ would not exist yet); it runs the built server.
import "../dist/cli.js";
