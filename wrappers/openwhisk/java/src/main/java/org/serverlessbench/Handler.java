package org.serverlessbench;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import function.Function;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.UUID;

/**
 * faasforge wrapper for OpenWhisk, Java: the action's {@code main(JsonObject)}, run by OpenWhisk's
 * Java runtime from {@code /function/function.jar} with main class {@code org.serverlessbench.Handler}.
 * Java 8 compatible (OpenWhisk's java8action). The parameters are the event; the answer is SeBS's
 * record {@code {begin, end, request_id, results_time, is_cold, container_id, result}}.
 */
public class Handler {

    private static final Type MAP_TYPE = new TypeToken<Map<String, Object>>() {}.getType();
    private static final Gson GSON = new Gson();
    private static final Path COLD_MARKER = Paths.get("/tmp", "cold_run");

    public static JsonObject main(JsonObject args) {
        boolean cold = !Files.exists(COLD_MARKER);
        String containerId = containerId();
        String requestId = System.getenv("__OW_ACTIVATION_ID");
        Map<String, Object> input = GSON.fromJson(args, MAP_TYPE);

        double begin = System.currentTimeMillis() / 1000.0;
        Map<String, Object> output = new Function().handler(input);
        double end = System.currentTimeMillis() / 1000.0;

        JsonObject record = new JsonObject();
        record.addProperty("begin", begin);
        record.addProperty("end", end);
        record.addProperty("request_id", requestId == null ? "" : requestId);
        record.addProperty("results_time", 0);
        record.addProperty("is_cold", cold);
        record.addProperty("container_id", containerId);
        record.add("result", GSON.toJsonTree(output));
        return record;
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
