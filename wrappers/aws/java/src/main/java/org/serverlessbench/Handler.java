package org.serverlessbench;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * faasforge wrapper for AWS Lambda, Java. Lambda runs {@code org.serverlessbench.Handler::handleRequest}.
 *
 * <p>An API Gateway / function URL event carries the input as a JSON {@code body} (maybe base64); a
 * direct invoke passes it as the event. The answer follows SeBS: {@code {"statusCode": 200, "body":
 * "<json: begin, end, results_time, is_cold, result, request_id, cold_start_var, container_id>"}}
 * (the run and the record: {@link Measurement}, from wrappers/shared/handler/).
 */
public class Handler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Map<String, Object> input = eventInput(event);
        String requestId = context != null && context.getAwsRequestId() != null
            ? context.getAwsRequestId() : UUID.randomUUID().toString();
        Map<String, Object> body = Measurement.run(input, requestId);
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
}
