package org.serverlessbench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.functions.HttpFunction;
import com.google.cloud.functions.HttpRequest;
import com.google.cloud.functions.HttpResponse;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
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
 * container_id}} as JSON (the run and the record: {@link Measurement}, from
 * wrappers/shared/handler/).
 */
public class Handler implements HttpFunction {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public void service(HttpRequest request, HttpResponse response) throws IOException {
        String requestId = request.getFirstHeader("Function-Execution-Id")
            .or(() -> request.getFirstHeader("X-Cloud-Trace-Context"))
            .orElse(UUID.randomUUID().toString());
        Map<String, Object> input = eventInput(request);
        Map<String, Object> body = Measurement.run(input, requestId);
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
}
