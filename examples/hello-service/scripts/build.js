// Build: copy the sources into dist/ (a stand-in for a real compile step) and stamp nothing that
// changes between builds, so that the artifact is reproducible.
import { cpSync, mkdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
cpSync('src', 'dist', { recursive: true });
console.log('built dist/ from src/');
