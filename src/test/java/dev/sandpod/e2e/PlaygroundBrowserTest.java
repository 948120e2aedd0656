package dev.sandpod.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.sandpod.TestServers;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The playground page in headless Chromium, against the real service and a real jail. */
class PlaygroundBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private static Service service;
    private static WebDriver browser;

    @BeforeAll
    static void start(@TempDir Path profile) {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Debian's chromium and chromium-driver are needed: bin/install-deps --tests installs them");
        service = Service.start(Map.of("SANDPOD_BACKEND", "local"), TestServers::backend);
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile);
        ChromeDriverService driver = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(driver, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    @DisplayName("Typing code and input and pressing Run shows the program's output and status")
    void runsCodeFromThePage() {
        browser.get(service.base() + "/");
        replace(browser.findElement(By.id("code")), "print(input().upper())\nprint('<b>not html</b>')");
        replace(browser.findElement(By.id("input")), "shout");
        browser.findElement(By.id("run")).click();

        WebElement status = browser.findElement(By.id("status"));
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(ExpectedConditions.attributeContains(status, "class", "ok"));
        assertEquals("SHOUT\n<b>not html</b>", browser.findElement(By.id("output")).getText());
        assertTrue(browser.findElements(By.cssSelector("#output b")).isEmpty(), "output must be text, not markup");
        assertTrue(status.getText().startsWith("ok"), status.getText());
    }

    @Test
    @DisplayName("A refused request shows the problem's title and detail")
    void showsProblems() {
        browser.get(service.base() + "/");
        replace(browser.findElement(By.id("code")), "");
        browser.findElement(By.id("run")).click();
        WebElement status = browser.findElement(By.id("status"));
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(ExpectedConditions.textToBePresentInElement(status, "400"));
        assertEquals("Code is required", browser.findElement(By.id("output")).getText());
    }

    @Test
    @DisplayName("A program past its time limit shows the timeout status; one that raises shows its traceback")
    void showsTimeoutsAndErrors() {
        browser.get(service.base() + "/");
        replace(browser.findElement(By.id("code")), "while True: pass");
        replace(browser.findElement(By.id("timeoutMs")), "500");
        browser.findElement(By.id("run")).click();
        WebElement status = browser.findElement(By.id("status"));
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.textToBePresentInElement(status, "timeout"));
        assertTrue(status.getAttribute("class").contains("problem"), status.getAttribute("class"));

        replace(browser.findElement(By.id("code")), "print('before')\n1 / 0");
        replace(browser.findElement(By.id("timeoutMs")), "2000");
        browser.findElement(By.id("run")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30))
                .until(ExpectedConditions.textToBePresentInElement(status, "runtime_error"));
        String output = browser.findElement(By.id("output")).getText();
        assertTrue(output.startsWith("before") && output.contains("ZeroDivisionError"), output);
        assertTrue(status.getText().contains("exit 1"), status.getText());
    }

    @Test
    @DisplayName("Against a service with API keys the page shows the 401, and runs once the key is typed in")
    void sendsTheApiKey(@TempDir Path keys) throws Exception {
        Path file = Files.writeString(keys.resolve("api-keys.txt"), "browser:sk-browser-0123456789abcdef\n");
        try (Service keyed = Service.start(Map.of("SANDPOD_BACKEND", "local", "SANDPOD_API_KEYS_FILE", file.toString()),
                TestServers::backend)) {
            browser.get(keyed.base() + "/");
            replace(browser.findElement(By.id("apiKey")), "");
            browser.findElement(By.id("run")).click();
            WebElement status = browser.findElement(By.id("status"));
            new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.textToBePresentInElement(status, "401"));
            assertTrue(browser.findElement(By.id("output")).getText().contains("needs an API key"));

            replace(browser.findElement(By.id("apiKey")), "sk-browser-0123456789abcdef");
            browser.findElement(By.id("run")).click();
            new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.attributeContains(status, "class", "ok"));
            assertEquals("Hello, World!", browser.findElement(By.id("output")).getText());
        }
    }

    @Test
    @DisplayName("The page shows output as the program writes it, before the run has ended")
    void streamsOutputAsItComes() {
        browser.get(service.base() + "/");
        replace(browser.findElement(By.id("code")), "import time\nprint('early', flush=True)\ntime.sleep(1)\nprint('late')");
        browser.findElement(By.id("run")).click();

        WebElement output = browser.findElement(By.id("output"));
        WebElement status = browser.findElement(By.id("status"));
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.textToBePresentInElement(output, "early"));
        assertEquals("early", output.getText(), "the rest came with the first line: nothing was streamed");
        assertEquals("running…", status.getText());
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.attributeContains(status, "class", "ok"));
        assertEquals("early\nlate", output.getText());
    }

    @Test
    @DisplayName("The runtime picker lists the service's runtimes, and a run uses the one picked")
    void picksARuntime() {
        browser.get(service.base() + "/");
        WebElement runtime = browser.findElement(By.id("runtime"));
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(driver ->
                new Select(runtime).getOptions().stream().anyMatch(o -> "python-scientific".equals(o.getAttribute("value"))));
        new Select(runtime).selectByValue("python-scientific");
        replace(browser.findElement(By.id("code")), "import numpy\nprint(numpy.arange(4).sum())");
        browser.findElement(By.id("run")).click();

        WebElement status = browser.findElement(By.id("status"));
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.attributeContains(status, "class", "ok"));
        assertEquals("6", browser.findElement(By.id("output")).getText());
    }

    @Test
    @DisplayName("The browser's own EventSource follows an asynchronous run's events to its result")
    @SuppressWarnings("unchecked")
    void eventSourceFollowsAnAsyncRun() {
        browser.get(service.base() + "/");
        Object seen = ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                fetch("/v1/runs", {method: "POST", headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({async: true, code: "print('via EventSource')"})})
                  .then((response) => {
                    const source = new EventSource(response.headers.get("Location") + "/events");
                    const events = [];
                    for (const name of ["status", "stdout", "stderr", "result"]) {
                      source.addEventListener(name, (event) => {
                        events.push(name + ":" + (name === "stdout" ? JSON.parse(event.data).text
                            : JSON.parse(event.data).status));
                        if (name === "result") {
                          source.close();
                          done(events);
                        }
                      });
                    }
                  });
                """);

        assertEquals(List.of("status:queued", "status:running", "stdout:via EventSource\n", "result:ok"), (List<Object>) seen);
    }

    private static void replace(WebElement field, String text) {
        field.clear();
        field.sendKeys(text);
    }
}
