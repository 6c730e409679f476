package dev.jitgw.server.cli;

import com.nimbusds.jose.jwk.RSAKey;
import dev.jitgw.policy.token.SigningKeyStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jitgw keys}: the gateway's own token-signing keys in the data directory. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "List or rotate the keys that sign the gateway's own access tokens.",
    subcommands = {KeysCommand.ListKeys.class, KeysCommand.Rotate.class})
final class KeysCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static Path keyDirectory(Path dataDir) {
    return CliConfig.load(dataDir).dataDir().resolve("keys");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List key ids.")
  static final class ListKeys implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Default: $JITGW_DATA_DIR.")
    Path dataDir;

    @Override
    public Integer call() {
      SigningKeyStore store = SigningKeyStore.open(keyDirectory(dataDir), Clock.systemUTC());
      for (String kid : store.keyIds()) {
        spec.commandLine()
            .getOut()
            .println(kid + (kid.equals(store.signingKey().getKeyID()) ? "  (signing)" : ""));
      }
      return 0;
    }
  }

  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description = {
        "Create a new signing key. A running gateway signs with it within 10 s; tokens signed",
        "by older keys stay valid until they expire (at most 1 h), after which the old key files",
        "may be deleted."
      })
  static final class Rotate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Default: $JITGW_DATA_DIR.")
    Path dataDir;

    @Override
    public Integer call() {
      SigningKeyStore store = SigningKeyStore.open(keyDirectory(dataDir), Clock.systemUTC());
      RSAKey key = store.rotate();
      spec.commandLine().getOut().println("new signing key " + key.getKeyID());
      return 0;
    }
  }
}
