package function;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * 110.dynamic-html: render an HTML page with a greeting and random numbers (Mustache).
 *
 * <p>Event: {@code username} (default "anonymous"), {@code random_len} (default 10), optional
 * {@code seed} for reproducible numbers. Returns the page plus the inputs it used.
 */
public class Function {

    private static final int MAX_NUMBERS = 1_000_000;
    private static final Mustache TEMPLATE = compile("templates/template.html");

    public Map<String, Object> handler(Map<String, Object> event) {
        String name = String.valueOf(event.getOrDefault("username", "anonymous"));
        Object value = event.getOrDefault("random_len", 10);
        // JSON libraries differ: Jackson reads 5 as an Integer, Gson (OpenWhisk) as a Double 5.0.
        double number = value instanceof Number ? ((Number) value).doubleValue() : -1;
        if (number != Math.rint(number) || number < 0 || number > MAX_NUMBERS) {
            throw new IllegalArgumentException(
                "'random_len' must be an integer in [0, " + MAX_NUMBERS + "], got " + value);
        }
        int size = (int) number;
        Object seed = event.get("seed");
        Random rng = seed instanceof Number ? new Random(((Number) seed).longValue()) : new Random();
        List<Integer> numbers = sample(rng, size);
        long sum = 0;
        for (int n : numbers) {
            sum += n;
        }
        Map<String, Object> scope = new LinkedHashMap<>();
        scope.put("username", name);
        scope.put("cur_time", LocalDateTime.now().toString());
        scope.put("random_numbers", numbers);
        StringWriter html = new StringWriter();
        try {
            TEMPLATE.execute(html, scope).flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("result", html.toString());
        result.put("username", name);
        result.put("random_len", size);
        result.put("seed", seed);
        result.put("numbers_sum", sum);
        return result;
    }

    /** {@code count} distinct numbers from [0, MAX_NUMBERS). */
    private static List<Integer> sample(Random rng, int count) {
        Set<Integer> seen = new HashSet<>();
        List<Integer> out = new ArrayList<>(count);
        while (out.size() < count) {
            int n = rng.nextInt(MAX_NUMBERS);
            if (seen.add(n)) {
                out.add(n);
            }
        }
        return out;
    }

    private static Mustache compile(String resource) {
        InputStream stream = Function.class.getClassLoader().getResourceAsStream(resource);
        if (stream == null) {
            throw new IllegalStateException(resource + " is not on the class path (templates/ in the jar)");
        }
        try (InputStreamReader reader = new InputStreamReader(stream, StandardCharsets.UTF_8)) {
            return new DefaultMustacheFactory().compile(reader, resource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
