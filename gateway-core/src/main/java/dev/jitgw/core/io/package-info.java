/** Small file-system helpers shared by the modules that keep state in the data directory. */
package dev.jitgw.core.io;
