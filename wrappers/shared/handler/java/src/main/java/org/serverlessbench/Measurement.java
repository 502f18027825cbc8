package org.serverlessbench;

import function.Function;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What faasforge's aws, gcp and openwhisk Java handlers share: the cold-start marker with the
 * container id, and one run of the benchmark answered with SeBS's measurement record. JDK only, Java 8 compatible (OpenWhisk's java8action).
 */
final class Measurement {

    private static final Path COLD_MARKER = Paths.get("/tmp", "cold_run");

    /** Whether this call is the first in its execution environment, and that environment's id. */
    static final class Start {
        final boolean cold;
        final String containerId;

        Start(boolean cold, String containerId) {
            this.cold = cold;
            this.containerId = containerId;
        }
    }

    private Measurement() {
    }

    /** Cold on the first call (no marker yet); the marker keeps the container id for later calls. */
    static Start coldStart() {
        try {
            if (Files.exists(COLD_MARKER)) {
                return new Start(false, new String(Files.readAllBytes(COLD_MARKER), StandardCharsets.UTF_8));
            }
            String id = UUID.randomUUID().toString().substring(0, 8);
            Files.write(COLD_MARKER, id.getBytes(StandardCharsets.UTF_8));
            return new Start(true, id);
        } catch (IOException e) {
            return new Start(true, "");
        }
    }

    /**
     * Runs the benchmark once on {@code input} (given SeBS's request-id and income-timestamp unless
     * set); SeBS's record {begin, end, results_time, is_cold, result, request_id, cold_start_var,
     * container_id}.
     */
    static Map<String, Object> run(Map<String, Object> input, String requestId) {
        input.putIfAbsent("request-id", requestId);
        input.putIfAbsent("income-timestamp", System.currentTimeMillis() / 1000.0);
        Start start = coldStart();

        double begin = System.currentTimeMillis() / 1000.0;
        Map<String, Object> output = new Function().handler(input);
        double end = System.currentTimeMillis() / 1000.0;

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("begin", begin);
        body.put("end", end);
        body.put("results_time", 0);
        body.put("is_cold", start.cold);
        body.put("result", output);
        body.put("request_id", requestId);
        String coldStartVar = System.getenv("cold_start");
        body.put("cold_start_var", coldStartVar == null ? "" : coldStartVar);
        body.put("container_id", start.containerId);
        return body;
    }
}
