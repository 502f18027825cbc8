package org.serverlessbench;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import function.Function;

import java.lang.reflect.Type;
import java.util.Map;

/**
 * faasforge wrapper for OpenWhisk, Java: the action's {@code main(JsonObject)}, run by OpenWhisk's
 * Java runtime from {@code /function/function.jar} with main class {@code org.serverlessbench.Handler}.
 * Java 8 compatible (OpenWhisk's java8action). The parameters are the event; the answer is SeBS's
 * record {@code {begin, end, request_id, results_time, is_cold, container_id, result}} (the cold
 * start: {@link Measurement}, from wrappers/shared/handler/).
 */
public class Handler {

    private static final Type MAP_TYPE = new TypeToken<Map<String, Object>>() {}.getType();
    private static final Gson GSON = new Gson();

    public static JsonObject main(JsonObject args) {
        Measurement.Start start = Measurement.coldStart();
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
        record.addProperty("is_cold", start.cold);
        record.addProperty("container_id", start.containerId);
        record.add("result", GSON.toJsonTree(output));
        return record;
    }
}
