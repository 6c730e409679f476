package dev.jitgw.server.it;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium from the Debian packages {@code chromium} and {@code chromium-driver} (which
 * {@code .ci/run} installs) for browser tests. A test that starts one is skipped only when the
 * browser or its driver is missing.
 */
final class HeadlessChromium {
  private static final Path CHROMIUM =
      Path.of(System.getProperty("jitgw.ui.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("jitgw.ui.chromedriver", "/usr/bin/chromedriver"));

  private HeadlessChromium() {}

  /** A fresh browser (its own profile: no cookies or storage); the caller quits it. */
  static WebDriver start() {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "no " + CHROMIUM + " or " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)");
    ChromeOptions options = new ChromeOptions();
    // An explicit binary and driver: Selenium Manager never looks for (or downloads) either.
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox", // CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }
}
