package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.status.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Element;

/** The shipped logback configurations: valid, and every rolling log capped in total size (a flood cannot fill the disk). */
class LogbackConfigTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    static List<Path> configs() throws Exception {
        try (Stream<Path> files = Stream.concat(
                Files.list(ROOT.resolve("config")), Files.walk(ROOT.resolve("server/src/main/resources")))) {
            return files.filter(p -> p.getFileName().toString().matches("logback.*\\.xml"))
                    .toList();
        }
    }

    @Test
    void everyRollingPolicyHasATotalSizeCap() throws Exception {
        List<Path> configs = configs();
        assertThat(configs).contains(ROOT.resolve("config/logback.xml"));
        int policies = 0;
        for (Path config : configs) {
            var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(config.toFile());
            var list = doc.getElementsByTagName("rollingPolicy");
            for (int i = 0; i < list.getLength(); i++) {
                var policy = (Element) list.item(i);
                assertThat(policy.getElementsByTagName("totalSizeCap").getLength())
                        .as("totalSizeCap of a rolling policy in %s", config)
                        .isEqualTo(1);
                policies++;
            }
        }
        // gateway, refusals, access, audit: in logback.xml and logback-json.xml
        assertThat(policies).isEqualTo(8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"config/logback.xml", "config/logback-json.xml"})
    void theProductionConfigurationsLoadWithoutErrorsAndHaveTheirOwnAccessLog(String config, @TempDir Path logs)
            throws Exception {
        var context = new LoggerContext();
        context.putProperty("cmg.logs", logs.toString());
        var configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(ROOT.resolve(config).toFile());
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .filteredOn(s -> s.getLevel() >= Status.WARN)
                .isEmpty();

        var access = context.getLogger("access");
        var appender = (ch.qos.logback.core.rolling.RollingFileAppender<?>) access.getAppender("ACCESS");
        assertThat(access.isAdditive())
                .as("access lines stay out of the gateway log")
                .isFalse();
        assertThat(Path.of(appender.getFile())).isEqualTo(logs.resolve("access.log"));
        assertThat(appender.getEncoder())
                .isInstanceOf(
                        config.endsWith("json.xml")
                                ? ch.qos.logback.classic.encoder.JsonEncoder.class
                                : ch.qos.logback.classic.encoder.PatternLayoutEncoder.class);
        context.stop();
    }
}
