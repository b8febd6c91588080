package dbtool.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How log lines on stderr look: {@code text} for people (and cron mails), {@code json} for log collectors (one object
 * per line: time, level, project, event, fields), as Kubernetes and systemd-journal pipelines expect.
 */
enum LogFormat {
    TEXT, JSON;

    /** Made on the first JSON line: picocli touches this enum on every start, and a mapper loads ~400 classes. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    /** "text" or "json"; anything else is a usage error naming both. */
    static final class Converter implements picocli.CommandLine.ITypeConverter<LogFormat> {
        @Override
        public LogFormat convert(String value) {
            return switch (value) {
                case "text" -> TEXT;
                case "json" -> JSON;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "--log-format must be text or json, not '" + value + "'");
            };
        }
    }

    /** One JSON line; {@code fields} carries the message and whatever the event adds. */
    String line(String level, String project, String event, Map<String, Object> fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
        line.put("level", level);
        line.put("project", project);
        line.put("event", event);
        line.put("fields", fields);
        try {
            return Json.MAPPER.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
