/** Turning one exchange's events into audit records in the documented format (docs/audit.md). */
package dev.jitgw.audit.record;
