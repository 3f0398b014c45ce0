// Backups of a Slipway home: write one (`slipway backup`), check one (`backup verify`), restore one
// into an empty home (`slipway restore`). The manifest's rules are pure, in core/backup.

export { createBackup, type BackupReport, type CreateBackupOptions } from './create.js';
export { readBackupArchive, type ReadResult } from './archive.js';
export { restoreBackup, type RestoreOptions, type RestoreReport } from './restore.js';
