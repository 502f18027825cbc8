package org.serverlessbench;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import function.Function;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * faasforge wrapper for AWS Lambda, Java. Lambda runs {@code org.serverlessbench.Handler::handleRequest}.
 *
 * <p>An API Gateway / function URL event carries the input as a JSON {@code body} (maybe base64); a
 * direct invoke passes it as the event. The answer follows SeBS: {@code {"statusCode": 200, "body":
 * "<json: begin, end, results_time, is_cold, result, request_id, cold_start_var, container_id>"}}.
 */
public class Handler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path COLD_MARKER = Paths.get("/tmp", "cold_run");

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Map<String, Object> input = eventInput(event);
        String requestId = context != null && context.getAwsRequestId() != null
            ? context.getAwsRequestId() : UUID.randomUUID().toString();
        input.putIfAbsent("request-id", requestId);
        input.putIfAbsent("income-timestamp", System.currentTimeMillis() / 1000.0);
        boolean[] cold = new boolean[1];
        String containerId = coldStart(cold);

        double begin = System.currentTimeMillis() / 1000.0;
        Map<String, Object> output = new Function().handler(input);
        double end = System.currentTimeMillis() / 1000.0;

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("begin", begin);
        body.put("end", end);
        body.put("results_time", 0);
        body.put("is_cold", cold[0]);
        body.put("result", output);
        body.put("request_id", requestId);
        body.put("cold_start_var", System.getenv().getOrDefault("cold_start", ""));
        body.put("container_id", containerId);
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("statusCode", 200);
        try {
            response.put("body", MAPPER.writeValueAsString(body));
        } catch (IOException e) {
            throw new IllegalStateException("the function's result is not JSON-serialisable", e);
        }
        return response;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> eventInput(Map<String, Object> event) {
        if (event == null) {
            return new LinkedHashMap<>();
        }
        Object body = event.get("body");
        if (body instanceof String) {
            String text = (String) body;
            if (Boolean.TRUE.equals(event.get("isBase64Encoded"))) {
                text = new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8);
            }
            if (text.isBlank()) {
                return new LinkedHashMap<>();
            }
            try {
                return new LinkedHashMap<>(MAPPER.readValue(text, Map.class));
            } catch (IOException e) {
                throw new IllegalArgumentException("the event's body is not a JSON object", e);
            }
        }
        return new LinkedHashMap<>(event);
    }

    /** True (in {@code cold[0]}) on the first call in this execution environment; the container id. */
    private static String coldStart(boolean[] cold) {
        try {
            if (Files.exists(COLD_MARKER)) {
                cold[0] = false;
                return new String(Files.readAllBytes(COLD_MARKER), StandardCharsets.UTF_8);
            }
            String id = UUID.randomUUID().toString().substring(0, 8);
            Files.write(COLD_MARKER, id.getBytes(StandardCharsets.UTF_8));
            cold[0] = true;
            return id;
        } catch (IOException e) {
            cold[0] = true;
            return "";
        }
    }
}
