package dev.jitgw.server.dataplane;

/** Fired on every data-plane connection at shutdown: close when idle, else after this exchange. */
public enum DrainEvent {
  INSTANCE
}
