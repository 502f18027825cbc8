package function;

import java.util.LinkedHashMap;
import java.util.Map;

/** 010.sleep: sleep for event["sleep"] seconds (default 0) and report it. */
public class Function {

    public Map<String, Object> handler(Map<String, Object> event) {
        Object value = event.getOrDefault("sleep", 0);
        if (value == null) {
            value = 0;
        }
        if (!(value instanceof Number)) {
            throw new IllegalArgumentException("'sleep' must be a number of seconds, got " + value);
        }
        double seconds = ((Number) value).doubleValue();
        if (seconds < 0) {
            throw new IllegalArgumentException("'sleep' must not be negative, got " + value);
        }
        try {
            Thread.sleep((long) (seconds * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("result", value);
        return result;
    }
}
