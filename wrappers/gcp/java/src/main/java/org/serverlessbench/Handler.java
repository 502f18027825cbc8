package org.serverlessbench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;
import function.Function;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * faasforge wrapper for Google Cloud (Cloud Run / functions), Java: an {@link HttpFunction} that
 * Google's Java function invoker serves as {@code --target org.serverlessbench.Handler}.
 *
 * <p>The JSON request body (else the query parameters) is the event. The answer is SeBS's
 * measurement record {@code {begin, end, results_time, is_cold, result, request_id, cold_start_var,
 * container_id}} as JSON.
 */
public class Handler implements HttpFunction {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path COLD_MARKER = Paths.get("/tmp", "cold_run");

    @Override
    public void service(HttpRequest request, HttpResponse response) throws IOException {
        String requestId = request.getFirstHeader("Function-Execution-Id")
            .or(() -> request.getFirstHeader("X-Cloud-Trace-Context"))
            .orElse(UUID.randomUUID().toString());
        Map<String, Object> input = eventInput(request);
        input.putIfAbsent("request-id", requestId);
        input.putIfAbsent("income-timestamp", System.currentTimeMillis() / 1000.0);
        boolean cold = !Files.exists(COLD_MARKER);
        String containerId = containerId();

        double begin = System.currentTimeMillis() / 1000.0;
        Map<String, Object> output = new Function().handler(input);
        double end = System.currentTimeMillis() / 1000.0;

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("begin", begin);
        body.put("end", end);
        body.put("results_time", 0);
        body.put("is_cold", cold);
        body.put("result", output);
        body.put("request_id", requestId);
        body.put("cold_start_var", System.getenv().getOrDefault("cold_start", ""));
        body.put("container_id", containerId);
        response.setStatusCode(200);
        response.setContentType("application/json");
        try (Writer writer = response.getWriter()) {
            writer.write(MAPPER.writeValueAsString(body));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> eventInput(HttpRequest request) throws IOException {
        String text = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!text.isBlank()) {
            return new LinkedHashMap<>(MAPPER.readValue(text, Map.class));
        }
        Map<String, Object> query = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> entry : request.getQueryParameters().entrySet()) {
            query.put(entry.getKey(), entry.getValue().isEmpty() ? "" : entry.getValue().get(0));
        }
        return query;
    }

    private static String containerId() {
        try {
            if (Files.exists(COLD_MARKER)) {
                return new String(Files.readAllBytes(COLD_MARKER), StandardCharsets.UTF_8);
            }
            String id = UUID.randomUUID().toString().substring(0, 8);
            Files.write(COLD_MARKER, id.getBytes(StandardCharsets.UTF_8));
            return id;
        } catch (IOException e) {
            return "";
        }
    }
}
