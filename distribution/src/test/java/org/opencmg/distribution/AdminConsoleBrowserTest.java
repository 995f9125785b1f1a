package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.opencmg.api.Jdbc;
import org.opencmg.pki.IssuedCertificate;
import org.opencmg.pki.PemFiles;
import org.opencmg.server.config.GatewayConfig;
import org.opencmg.server.secrets.MasterKey;
import org.opencmg.server.secrets.SecretStore;
import org.opencmg.server.store.Database;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin console in a real headless Chromium, against a real gateway process (with its log
 * files), a connection point and an internal site, one of each for the whole class. Steps run in
 * order, as an administrator would; every page and API answer seen is kept for the last step,
 * which looks for planted secrets in them and in the gateway's logs. Screenshots go to
 * {@code target/screenshots}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminConsoleBrowserTest {

    static final String MP = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";
    static final String WRONG_PASSWORD = "planted-wrong-password-5d1c";
    static final Path SCREENSHOTS = Path.of("target/screenshots");
    static final String SESSION_COOKIE = "__Host-cmg-session";

    @TempDir
    static Path dir;

    private TestPki pki;
    private InternalServer site;
    private GatewayFixture gw;
    private ConnectionPointFixture cp;
    private ChromeDriver browser;
    private HttpClient http;
    /** Every page and API answer seen (but the two that show a new secret once), for the planted-secret check. */
    private final List<String> seen = new ArrayList<>();

    private String bulkToken;
    private String scrapeToken;
    private int shot;

    @BeforeAll
    void start() throws Exception {
        pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        site = new InternalServer(pki);
        Path gwDir = Files.createDirectories(dir.resolve("gw"));
        gw = GatewayFixture.process(
                gwDir,
                pki,
                "{idle: 30s}",
                "-Dlogback.configurationFile="
                        + Path.of("../config/logback.xml").toAbsolutePath().normalize(),
                "-Dcmg.logs=" + gwDir.resolve("logs"));
        gw.trustTestDevices();
        gw.publish(MP, site.url("/mp"), "PS1");
        cp = new ConnectionPointFixture(dir, pki, "cp-console", "PS1")
                .register(gw)
                .start(gw.channelUrl())
                .awaitUp();
        var device = new DeviceClient(gw, pki.device("console-device"));
        for (int i = 0; i < 5; i++) {
            assertThat(device.send("CCM_POST", MP + "/request", "hello " + i).statusCode())
                    .isEqualTo(200);
        }
        http = HttpClient.newBuilder()
                .sslContext(pki.clientContext(null))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        browser = chromium(pki.server.certificate());
    }

    /**
     * Headless Chromium that trusts the gateway's certificate by its key (the SPKI list): with
     * --ignore-certificate-errors alone the page counts as insecure and Chromium drops Secure cookies.
     */
    static ChromeDriver chromium(java.security.cert.X509Certificate server) throws Exception {
        assertThat(Path.of("/usr/bin/chromium"))
                .as("install chromium and chromium-driver (./run-tests does)")
                .isExecutable();
        System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
        var options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--ignore-certificate-errors-spki-list="
                        + Base64.getEncoder()
                                .encodeToString(java.security.MessageDigest.getInstance("SHA-256")
                                        .digest(server.getPublicKey().getEncoded())),
                "--window-size=1280,1100",
                "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
        var driver = new ChromeDriver(options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        return driver;
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (cp != null) {
            cp.close();
        }
        if (gw != null) {
            gw.close();
        }
        if (site != null) {
            site.close();
        }
    }

    @Test
    @Order(1)
    void signInRefusesAWrongPasswordWithAGrowingDelay() throws Exception {
        browser.get(url("/"));
        assertThat(browser.getCurrentUrl()).as("every page needs a session").endsWith("/login");
        screenshot("login");

        signIn("admin", WRONG_PASSWORD);
        assertThat(message("Wrong user name or password")).contains("1 s");
        Thread.sleep(1100);
        signIn("admin", WRONG_PASSWORD);
        assertThat(message("Wrong user name or password"))
                .as("the delay doubles")
                .contains("2 s");

        // Inside the delay an attempt is refused before the password is even checked (HTTP: fast enough to be inside
        // it).
        var login =
                http.send(HttpRequest.newBuilder(gw.adminUrl("/login")).build(), HttpResponse.BodyHandlers.ofString());
        var early = http.send(
                post(
                                "/login",
                                "user=admin&password=" + GatewayFixture.ADMIN_PASSWORD + "&login_token="
                                        + field(login.body(), "login_token"))
                        .header(
                                "Cookie",
                                login.headers()
                                        .firstValue("Set-Cookie")
                                        .orElseThrow()
                                        .split(";")[0])
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(early.statusCode()).isEqualTo(429);
        assertThat(early.headers().firstValue("Retry-After"))
                .hasValueSatisfying(v -> assertThat(Integer.parseInt(v)).isBetween(1, 2));
        assertThat(early.body()).contains("Too many failed sign-ins");
        assertThat(early.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith(SESSION_COOKIE));
        Thread.sleep(2100);
        signIn("admin", GatewayFixture.ADMIN_PASSWORD);
        new WebDriverWait(browser, Duration.ofSeconds(15)).until(ExpectedConditions.urlToBe(url("/")));
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Dashboard");
        assertThat(browser.getCurrentUrl()).isEqualTo(url("/"));
        assertThat(browser.findElement(By.cssSelector("header .who")).getText()).contains("admin");
        var cookie = browser.manage().getCookieNamed(SESSION_COOKIE);
        assertThat(cookie.isSecure()).isTrue();
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getSameSite()).isEqualTo("Strict");
        assertThat(Base64.getUrlDecoder().decode(cookie.getValue()))
                .as("a 256-bit session ID")
                .hasSize(32);
        keep();
        screenshot("dashboard");
    }

    @Test
    @Order(2)
    void aPostWithoutTheSessionsCsrfTokenIsRefusedAndChangesNothing() throws Exception {
        String before = gw.api().get("settings/enforce-tls12").path("value").asText();
        String flipped = "true".equals(before) ? "false" : "true";
        for (String csrf : new String[] {null, "", "not-the-token"}) {
            String form = "name=enforce-tls12&value=" + flipped + (csrf == null ? "" : "&csrf=" + csrf);
            var answer = http.send(
                    post("/settings", form)
                            .header("Cookie", SESSION_COOKIE + "=" + session())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as("CSRF token %s", csrf).isEqualTo(403);
            assertThat(answer.body()).doesNotContain("Exception").doesNotContain("at org.");
        }
        assertThat(gw.api().get("settings/enforce-tls12").path("value").asText())
                .isEqualTo(before);

        var apiWithoutHeader = http.send(
                HttpRequest.newBuilder(gw.adminUrl("/api/status"))
                        .header("Cookie", SESSION_COOKIE + "=" + session())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(apiWithoutHeader.statusCode())
                .as("the API takes a session only with its CSRF token")
                .isEqualTo(401);

        var noSession = http.send(
                post("/settings", "name=enforce-tls12&value=" + flipped).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noSession.statusCode()).isEqualTo(403);
        assertThat(gw.api().get("settings/enforce-tls12").path("value").asText())
                .isEqualTo(before);
    }

    @Test
    @Order(3)
    void aBulkTokenIsShownOnceThenBlocked() throws Exception {
        browser.get(url("/plugins/auth-token/tokens"));
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Tokens and devices");
        keep();
        browser.findElement(By.id("lifetime")).clear();
        browser.findElement(By.id("lifetime")).sendKeys("60");
        browser.findElement(By.id("max-registrations")).sendKeys("5");
        browser.findElement(By.id("new-token-button")).click();
        bulkToken = waitFor(By.id("token-value")).getText().strip();
        assertThat(bulkToken.split("\\.")).as("a JWT").hasSize(3);
        screenshot("token-created");
        String id = browser.findElement(By.cssSelector("#new-token h2"))
                .getText()
                .replace("New bulk token ", "")
                .strip();

        // A device registers with it, and the administrator blocks that device from the page.
        Path identity = dir.resolve("console-device");
        gw.check(gw.cli(
                "device",
                "register",
                "--gateway",
                "https://localhost:" + gw.clientPort(),
                "--ca",
                pki.file("root.pem").toString(),
                "--role-id",
                "72057594037927939",
                "--bulk-token",
                Files.writeString(dir.resolve("console-bulk.jwt"), bulkToken + "\n")
                        .toString(),
                "--out",
                identity.toString(),
                "--name",
                "console-laptop"));
        String deviceId = gw.out.replaceAll("(?s).*registered device ([0-9a-f]{64}).*", "$1");

        browser.get(url("/plugins/auth-token/tokens"));
        assertThat(browser.getPageSource()).as("shown once only").doesNotContain(bulkToken);
        keep();
        WebElement device = browser.findElement(By.cssSelector("tr[data-device='" + deviceId + "']"));
        assertThat(device.getText()).contains("console-laptop").contains("active");
        device.findElement(By.xpath(".//button[text()='Block']")).click();
        assertThat(message("Blocked device " + deviceId)).isNotEmpty();
        assertThat(browser.findElement(By.cssSelector("tr[data-device='" + deviceId + "']"))
                        .getText())
                .contains("blocked");
        keep();
        assertThat(gw.api().get("audit").toString()).contains("token.device_block");

        WebElement row = browser.findElement(By.cssSelector("tr[data-token='" + id + "']"));
        assertThat(row.getText()).contains("active").contains("1 of 5");
        row.findElement(By.tagName("button")).click();
        assertThat(message("Blocked token " + id)).isNotEmpty();
        assertThat(browser.findElement(By.cssSelector("tr[data-token='" + id + "']"))
                        .getText())
                .contains("blocked");
        keep();
        screenshot("token-blocked");
        assertThat(gw.api().get("audit").toString()).contains("token.block").contains("\"actor\":\"admin\"");
    }

    @Test
    @Order(4)
    void aRoleIsPublishedAndOneMappingUnpublished() throws Exception {
        browser.get(url("/endpoints"));
        new Select(browser.findElement(By.id("role"))).selectByVisibleText("mp");
        browser.findElement(By.id("role_id")).sendKeys("72057594037927951");
        browser.findElement(By.id("site")).sendKeys("PS1");
        browser.findElement(By.id("internal_url")).sendKeys("https://mp.example/");
        browser.findElement(By.cssSelector("form[action='/endpoints/publish-role'] button"))
                .click();
        assertThat(waitFor(By.cssSelector("p.msg.error")).getText())
                .as("refused with the API's reason, nothing published")
                .contains("without a trailing /");
        assertThat(gw.api().get("endpoints").toString()).doesNotContain("72057594037927951");

        new Select(browser.findElement(By.id("role"))).selectByVisibleText("mp");
        browser.findElement(By.id("role_id")).sendKeys("72057594037927950");
        browser.findElement(By.id("site")).sendKeys("PS1");
        browser.findElement(By.id("internal_url")).sendKeys(site.url("/mp2"));
        browser.findElement(By.cssSelector("form[action='/endpoints/publish-role'] button"))
                .click();
        assertThat(message("Published")).contains("72057594037927950");
        assertThat(browser.getPageSource()).contains("/CCM_Proxy_MutualAuth/72057594037927950/SMS_MP");
        screenshot("endpoints");
        keep();

        var unpublish = browser.findElement(By.xpath(
                "//tr[th/code[text()='/CCM_Proxy_MutualAuth/72057594037927950/SMS_MP']]//button[text()='Unpublish']"));
        unpublish.click();
        assertThat(message("Unpublished /CCM_Proxy_MutualAuth/72057594037927950/SMS_MP"))
                .isNotEmpty();
        assertThat(gw.api().get("endpoints").toString())
                .doesNotContain("MutualAuth/72057594037927950/SMS_MP\"")
                .contains("ServerAuth/72057594037927950/SMS_MP\"")
                .contains("MutualAuth/72057594037927950/CCM_System\"");
        keep();
    }

    @Test
    @Order(5)
    void contentUploadShowsItsProgressUpTo100Percent() throws Exception {
        Path file = dir.resolve("package-payload.bin");
        byte[] chunk = new byte[1024 * 1024];
        new SecureRandom().nextBytes(chunk);
        try (var out = Files.newOutputStream(file)) {
            for (int i = 0; i < 24; i++) {
                out.write(chunk);
            }
        }
        browser.get(url("/plugins/role-content/packages"));
        browser.findElement(By.id("package")).sendKeys("console-pkg");
        browser.findElement(By.id("file")).sendKeys(file.toString());
        browser.findElement(By.cssSelector("#upload button")).click();
        Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() ->
                        !"sending".equals(browser.findElement(By.id("upload")).getDomAttribute("data-state")));
        assertThat(browser.findElement(By.id("upload")).getDomAttribute("data-state"))
                .isEqualTo("done");
        assertThat(browser.findElement(By.id("progress")).getDomProperty("value"))
                .isEqualTo("100");
        assertThat(browser.findElement(By.id("upload-status")).getText()).contains("Uploaded package-payload.bin");
        screenshot("content-uploaded");

        browser.get(url("/plugins/role-content/packages"));
        assertThat(browser.findElement(By.id("packages")).getText())
                .contains("console-pkg")
                .contains("package-payload.bin")
                .contains("24.0 MiB");
        keep();
        assertThat(gw.api().get("audit").toString()).contains("content.upload");
    }

    @Test
    @Order(6)
    void theTrafficPageChartsEachEndpointsWindows() throws Exception {
        // The gateway process writes its counts every 10 s.
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    browser.get(url("/traffic"));
                    return !browser.findElements(By.cssSelector("svg.traffic rect.bar"))
                            .isEmpty();
                });
        assertThat(browser.findElement(By.tagName("table")).getText()).contains(MP);
        assertThat(browser.findElement(By.cssSelector("svg.traffic")).getDomAttribute("aria-label"))
                .contains("5 requests");
        assertThat(browser.findElements(By.cssSelector("svg.traffic polyline.egress")))
                .hasSize(1);
        keep();
        screenshot("traffic");
    }

    @Test
    @Order(7)
    void aQuotaSetOnTheEndpointsPageThrottlesTheDeviceAndShowsOnTrafficAndTheDashboard() throws Exception {
        browser.get(url("/endpoints"));
        new Select(browser.findElement(By.id("quota-endpoint"))).selectByVisibleText(MP);
        browser.findElement(By.id("quota-window")).clear();
        browser.findElement(By.id("quota-window")).sendKeys("1h");
        browser.findElement(By.id("quota-device-requests")).sendKeys("3");
        browser.findElement(By.id("quota-egress")).sendKeys("1GiB");
        browser.findElement(By.id("quota-warn")).clear();
        browser.findElement(By.id("quota-warn")).sendKeys("50");
        browser.findElement(By.cssSelector("#quota-form button")).click();
        assertThat(message("Set the quota of")).contains(MP);
        assertThat(browser.findElement(By.id("quotas")).getText())
                .contains(MP)
                .contains("1h")
                .contains("1.0 GiB")
                .contains("50 %");
        screenshot("quota-set");
        keep();

        var device = new DeviceClient(gw, pki.device("quota-console-device"));
        var statuses = new ArrayList<Integer>();
        for (int i = 0; i < 4; i++) {
            statuses.add(device.send("CCM_POST", MP + "/request", "quota " + i).statusCode());
        }
        assertThat(statuses).containsExactly(200, 200, 200, 429);

        browser.get(url("/traffic"));
        var cell = browser.findElement(By.cssSelector("#budgets td[data-budget='device_requests']"));
        assertThat(cell.getDomAttribute("data-state")).isEqualTo("over");
        assertThat(cell.getText()).contains("3 of 3 (100 %)");
        assertThat(browser.findElement(By.cssSelector("#budgets td[data-budget='egress_bytes']"))
                        .getDomAttribute("data-state"))
                .isEqualTo("ok");
        screenshot("traffic-budgets");
        keep();
        browser.get(url("/"));
        assertThat(browser.findElement(By.cssSelector("ul.alerts")).getText())
                .contains("A device on " + MP + " has spent its per-device requests budget");
        keep();

        browser.get(url("/endpoints"));
        browser.findElement(
                        By.xpath("//table[@id='quotas']//tr[th/code[text()='" + MP + "']]//button[text()='Remove']"))
                .click();
        assertThat(message("Removed the quota of")).contains(MP);
        assertThat(device.send("CCM_POST", MP + "/request", "free again").statusCode())
                .isEqualTo(200);
        assertThat(gw.api().get("audit").toString()).contains("quota.set").contains("quota.remove");
        keep();
    }

    @Test
    @Order(8)
    void explainSaysWhichMappingAndConnectionPointWouldServe() throws Exception {
        Path cert = dir.resolve("explain-device.pem");
        PemFiles.writeCertificates(cert, List.of(pki.device("explained-device").certificate()));
        browser.get(url("/explain"));
        browser.findElement(By.id("url")).sendKeys(MP + "/request");
        browser.findElement(By.id("method")).clear();
        browser.findElement(By.id("method")).sendKeys("CCM_POST");
        browser.findElement(By.id("cert-file")).sendKeys(cert.toString());
        browser.findElement(By.cssSelector("#explain button")).click();
        String result = waitFor(By.id("result")).getText();
        assertThat(result)
                .startsWith("Served")
                .contains("explained-device")
                .contains(MP)
                .contains("cp-console");
        keep();
        screenshot("explain");

        browser.get(url("/explain"));
        browser.findElement(By.id("url")).sendKeys("/CCM_Proxy_MutualAuth/72057594037927939/..%2fsecret");
        browser.findElement(By.cssSelector("#explain button")).click();
        assertThat(waitFor(By.id("result")).getText()).startsWith("400 encoded_slash");
        keep();
    }

    @Test
    @Order(9)
    void analyzeSendsASyntheticRequestThroughEveryHopOfThisInstance() throws Exception {
        Path cert = dir.resolve("analyzed-device.pem");
        PemFiles.writeCertificates(cert, List.of(pki.device("analyzed-device").certificate()));
        browser.get(url("/analyze"));
        browser.findElement(By.id("cert-file")).sendKeys(cert.toString());
        browser.findElement(By.cssSelector("#analyze button")).click();
        String result = waitFor(By.id("result")).getText();
        // The certificate device passes every hop to cp-console; the token and Entra kinds had no credentials.
        assertThat(result)
                .startsWith("All passed at instance")
                .contains("cp-console")
                .contains(MP)
                .contains("skipped: no credentials given");
        keep();
        screenshot("analyze");
    }

    @Test
    @Order(11)
    void everyPageLoadsWithoutAServerErrorAndLooksTheSame() throws Exception {
        browser.get(url("/"));
        var links = browser.findElements(By.cssSelector("nav a")).stream()
                .map(a -> a.getDomAttribute("href"))
                .toList();
        assertThat(links)
                .contains(
                        "/",
                        "/traffic",
                        "/endpoints",
                        "/trust",
                        "/settings",
                        "/plugins/role-content/packages",
                        "/secrets",
                        "/audit",
                        "/plugins",
                        "/explain",
                        "/admin-certificates",
                        "/plugins/auth-token/tokens");
        for (String href : links) {
            var answer = http.send(
                    HttpRequest.newBuilder(gw.adminUrl(href))
                            .header("Cookie", SESSION_COOKIE + "=" + session())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(href).isEqualTo(200);
            assertThat(answer.headers().firstValue("Content-Security-Policy"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("default-src 'self'"));
            assertThat(answer.body())
                    .as(href)
                    .doesNotContain("internal error")
                    .doesNotContain("Exception")
                    .contains("<main id=\"main\"");
            assertThat(answer.body())
                    .as("no inline script or style: %s", href)
                    .doesNotContain("<script>")
                    .doesNotContain("style=");
            seen.add(answer.body());
            browser.get(url(href));
            assertThat(browser.findElement(By.cssSelector("nav a[aria-current='page']"))
                            .getDomAttribute("href"))
                    .isEqualTo(href);
            assertThat(browser.findElement(By.cssSelector("a.skip")).getDomAttribute("href"))
                    .isEqualTo("#main");
            screenshot("page" + href.replace('/', '-'));
        }
        browser.get(url("/audit?action=token.&actor=admin"));
        assertThat(browser.findElement(By.id("audit")).getText())
                .contains("token.new")
                .contains("token.block")
                .doesNotContain("content.upload");
        keep();
        browser.get(url("/audit?q=console-pkg"));
        assertThat(browser.findElement(By.id("audit")).getText())
                .contains("content.upload")
                .doesNotContain("token.block");
        browser.get(url("/secrets"));
        assertThat(browser.getPageSource()).contains("plugin.auth-token.signing-key");
        browser.findElement(By.xpath("//tr[th[text()='plugin.auth-token.signing-key']]//button"))
                .click();
        assertThat(message("Rotated plugin.auth-token.signing-key")).isNotEmpty();
        keep();
    }

    @Test
    @Order(12)
    void anAdminCertificateSignsInWithoutAPassword() throws Exception {
        IssuedCertificate adminCert = pki.device("console-admin");
        Path certFile = dir.resolve("console-admin.pem");
        PemFiles.writeCertificates(certFile, List.of(adminCert.certificate()));
        gw.check(gw.cli("admin-cert", "add", "--user", "admin", "--cert", certFile.toString()));
        assertThat(gw.out).contains("registered CN=console-admin for admin");
        var withCert = HttpClient.newBuilder()
                .sslContext(pki.clientContext(adminCert))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        var login = withCert.send(
                HttpRequest.newBuilder(gw.adminUrl("/login")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.body()).contains("Sign in with the certificate");
        String token = field(login.body(), "login_token");
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        var signedIn = withCert.send(
                HttpRequest.newBuilder(gw.adminUrl("/login"))
                        .header("Cookie", cookie)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("mode=certificate&login_token=" + token))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).isEqualTo(303);
        String session = signedIn.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(SESSION_COOKIE))
                .findFirst()
                .orElseThrow()
                .split(";")[0];
        var dashboard = withCert.send(
                HttpRequest.newBuilder(gw.adminUrl("/"))
                        .header("Cookie", session)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(dashboard.statusCode()).isEqualTo(200);
        assertThat(dashboard.body()).contains("Signed in as <strong>admin</strong>");

        var noCert =
                http.send(HttpRequest.newBuilder(gw.adminUrl("/login")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noCert.body()).doesNotContain("Sign in with the certificate");
        assertThat(gw.api().get("audit").toString()).contains("console.login").contains("with certificate");

        // Removed by its thumbprint as typed in lower case, the certificate signs nobody in any more.
        String thumbprint =
                org.opencmg.pki.Thumbprints.sha256(adminCert.certificate()).toLowerCase(java.util.Locale.ROOT);
        gw.check(gw.cli("admin-cert", "remove", thumbprint));
        assertThat(gw.api().get("admin-certs").toString())
                .doesNotContain(thumbprint.toUpperCase(java.util.Locale.ROOT));
        var after = withCert.send(
                HttpRequest.newBuilder(gw.adminUrl("/login")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(after.body()).doesNotContain("Sign in with the certificate");
        String afterCookie =
                after.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        var refused = withCert.send(
                HttpRequest.newBuilder(gw.adminUrl("/login"))
                        .header("Cookie", afterCookie)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "mode=certificate&login_token=" + field(after.body(), "login_token")))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith(SESSION_COOKIE));
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("no registered admin certificate");
    }

    @Test
    @Order(13)
    void signingOutEndsTheSession() throws Exception {
        String old = session();
        browser.get(url("/"));
        browser.findElement(By.cssSelector("header form button")).click();
        new WebDriverWait(browser, Duration.ofSeconds(15)).until(ExpectedConditions.urlToBe(url("/login")));
        var reuse = http.send(
                HttpRequest.newBuilder(gw.adminUrl("/"))
                        .header("Cookie", SESSION_COOKIE + "=" + old)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(reuse.statusCode()).as("the old session ID is dead").isEqualTo(303);
        assertThat(reuse.headers().firstValue("Location")).hasValue("/login");
    }

    @Test
    @Order(14)
    void noPlantedSecretAppearsInAnyPageLogOrApiAnswer() throws Exception {
        var basic = HttpRequest.newBuilder(gw.adminUrl("/metrics/token"))
                .header(
                        "Authorization",
                        "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(("admin:" + GatewayFixture.ADMIN_PASSWORD)
                                                .getBytes(StandardCharsets.UTF_8)));
        var made = http.send(
                basic.POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        scrapeToken = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(made.body())
                .path("scrape_token")
                .asText();
        assertThat(scrapeToken).isNotEmpty();
        var api = gw.api();
        seen.add(api.post("content/rotate-key", new byte[0], "application/json")
                .toString()); // a storage key to look for
        for (String resource : List.of(
                "status",
                "endpoints",
                "quotas",
                "roots",
                "ctl",
                "crls",
                "settings",
                "audit?limit=1000",
                "connection-points",
                "channels",
                "secrets",
                "traffic",
                "tokens",
                "tokens/signing-keys",
                "devices",
                "content",
                "admin-certs")) {
            seen.add(api.get(resource).toString());
        }
        var metrics = http.send(
                HttpRequest.newBuilder(gw.adminUrl("/metrics"))
                        .header("Authorization", "Bearer " + scrapeToken)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        seen.add(metrics.body());
        gw.stop(); // flushes the logs and frees the store

        Map<String, String> planted = new LinkedHashMap<>();
        planted.put("admin password", GatewayFixture.ADMIN_PASSWORD);
        planted.put("a mistyped password", WRONG_PASSWORD);
        planted.put("bulk token", bulkToken);
        planted.put("bulk token signature", bulkToken.substring(bulkToken.lastIndexOf('.') + 1));
        planted.put("metrics scrape token", scrapeToken);
        var config = GatewayConfig.load(gw.dir.resolve("gateway.yaml"));
        planted.put(
                "master key", Files.readString(config.secrets().masterKeyFile()).strip());
        try (var db = Database.open(config.database())) {
            var store = new SecretStore(
                    new Jdbc(db.dataSource()),
                    MasterKey.load(null, config.secrets().masterKeyFile()),
                    (a, b, c, d) -> {},
                    Clock.systemUTC());
            for (var meta : store.list()) {
                for (var v : store.valid(meta.name())) {
                    byte[] raw = v.bytes();
                    planted.put(
                            meta.name() + " v" + v.version() + " (base64)",
                            Base64.getEncoder().encodeToString(raw));
                    planted.put(
                            meta.name() + " v" + v.version() + " (base64url)",
                            Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
                    planted.put(
                            meta.name() + " v" + v.version() + " (hex)",
                            HexFormat.of().formatHex(raw));
                }
            }
            assertThat(planted.keySet())
                    .anyMatch(k -> k.startsWith("plugin.role-content.storage-key"))
                    .anyMatch(k -> k.startsWith("plugin.auth-token.signing-key"));
        }
        List<Path> logs;
        try (Stream<Path> files = Files.walk(gw.dir)) {
            logs = files.filter(p -> p.toString().endsWith(".log")).toList();
        }
        assertThat(logs)
                .extracting(p -> p.getFileName().toString())
                .contains("gateway.log", "audit.log", "refusals.log");
        assertThat(String.join("\n", seen)).contains("console-pkg"); // the pages were really read
        for (var secret : planted.entrySet()) {
            for (int i = 0; i < seen.size(); i++) {
                assertThat(seen.get(i))
                        .as("%s in page or API answer #%d", secret.getKey(), i)
                        .doesNotContain(secret.getValue());
            }
            for (Path log : logs) {
                assertThat(Files.readString(log))
                        .as("%s in %s", secret.getKey(), log)
                        .doesNotContain(secret.getValue());
            }
        }
    }

    // --- helpers ---

    private String url(String path) {
        return gw.adminUrl(path).toString();
    }

    private void signIn(String user, String password) {
        browser.get(url("/login"));
        browser.findElement(By.id("user")).clear();
        browser.findElement(By.id("user")).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.cssSelector("#login button")).click();
        keep();
    }

    /** The message the page shows after a form (waits for the answer: a click does not wait for a POST). */
    private String message(String containing) {
        new WebDriverWait(browser, Duration.ofSeconds(15))
                .until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("p.msg"), containing));
        return browser.findElement(By.cssSelector("p.msg")).getText();
    }

    private WebElement waitFor(By what) {
        return new WebDriverWait(browser, Duration.ofSeconds(15))
                .until(ExpectedConditions.presenceOfElementLocated(what));
    }

    private String session() {
        return browser.manage().getCookieNamed(SESSION_COOKIE).getValue();
    }

    private HttpRequest.Builder post(String path, String form) {
        return HttpRequest.newBuilder(gw.adminUrl(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
    }

    /** Keeps the browser's current page for the planted-secret check. */
    private void keep() {
        seen.add(browser.getPageSource());
    }

    private void screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Files.write(
                SCREENSHOTS.resolve(String.format("%02d%s.png", ++shot, name.startsWith("-") ? name : "-" + name)),
                browser.getScreenshotAs(OutputType.BYTES));
    }

    private static String field(String html, String name) {
        var m = Pattern.compile("name=\"" + name + "\" value=\"([^\"]+)\"").matcher(html);
        assertThat(m.find()).as("field %s", name).isTrue();
        return URLEncoder.encode(m.group(1), StandardCharsets.UTF_8);
    }
}
