/**
 * Audit log exports (docs/audit.md §Export, §Verify): {@link
 * dev.jitgw.audit.export.ExportDirectory} reads and writes the directory ({@code records.jsonl},
 * {@code checkpoint}, {@code verifier.key}, {@code prefix.json}), {@link
 * dev.jitgw.audit.export.RecordLines} streams the records byte-exact, and {@link
 * dev.jitgw.audit.export.ExportVerifier} checks an export offline with nothing but its files,
 * returning a {@link dev.jitgw.audit.export.VerifyResult}.
 */
package dev.jitgw.audit.export;
