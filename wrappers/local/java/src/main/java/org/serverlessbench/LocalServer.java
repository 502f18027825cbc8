package org.serverlessbench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import function.Function;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * faasforge wrapper for the local platform, Java: serves {@code function.Function} over HTTP.
 *
 * <p>{@code POST /} with a JSON object body calls {@code new Function().handler(event)} and answers
 * {@code {"begin", "end", "compute_time", "results_time", "request_id", "is_cold", "container_id",
 * "result": {"output": <handler return>}}}. {@code GET /health} answers {@code ok}. Listens on
 * {@code $PORT} (default 9000) on all interfaces. JDK's HTTP server plus Jackson only.
 */
public final class LocalServer {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final AtomicBoolean COLD = new AtomicBoolean(true);
    private static final String CONTAINER_ID = UUID.randomUUID().toString().substring(0, 8);
    private static final int MAX_BODY = 64 * 1024 * 1024;

    private LocalServer() {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "9000"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 64);
        server.createContext("/health", exchange -> {
            drain(exchange);
            send(exchange, 200, "text/plain", "ok".getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/", LocalServer::invoke);
        server.setExecutor(Executors.newFixedThreadPool(4));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
        server.start();
        System.out.println("faasforge local java: listening on :" + port);
    }

    private static void invoke(HttpExchange exchange) throws IOException {
        String requestId = UUID.randomUUID().toString();
        try {
            if (!"/".equals(exchange.getRequestURI().getPath())) {
                drain(exchange);
                sendJson(exchange, 404, error("no such path; POST / or GET /health", requestId));
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                drain(exchange);
                sendJson(exchange, 405, error("use POST / with a JSON object body", requestId));
                return;
            }
            byte[] raw = readBody(exchange);
            if (raw == null) {
                sendJson(exchange, 413, error("request body larger than " + MAX_BODY + " bytes", requestId));
                return;
            }
            Map<String, Object> event;
            try {
                event = parseEvent(raw);
            } catch (IOException | ClassCastException e) {
                sendJson(exchange, 400, error("the body is not a JSON object: " + e.getMessage(), requestId));
                return;
            }
            boolean isCold = COLD.getAndSet(false);
            event.putIfAbsent("request-id", requestId);
            event.putIfAbsent("income-timestamp", System.currentTimeMillis() / 1000.0);
            double begin = System.currentTimeMillis() / 1000.0;
            long start = System.nanoTime();
            Object output;
            try {
                output = new Function().handler(event);
            } catch (RuntimeException e) {
                StringWriter trace = new StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                Map<String, Object> failed = error(e.toString(), requestId);
                failed.put("traceback", trace.toString());
                sendJson(exchange, 500, failed);
                return;
            }
            double computeTime = (System.nanoTime() - start) / 1000.0;
            double end = System.currentTimeMillis() / 1000.0;
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("output", output);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("begin", begin);
            body.put("end", end);
            body.put("compute_time", computeTime);
            body.put("results_time", 0);
            body.put("request_id", requestId);
            body.put("is_cold", isCold);
            body.put("container_id", CONTAINER_ID);
            body.put("result", result);
            sendJson(exchange, 200, body);
        } finally {
            exchange.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parseEvent(byte[] raw) throws IOException {
        if (new String(raw, StandardCharsets.UTF_8).isBlank()) {
            return new LinkedHashMap<>();
        }
        Object parsed = MAPPER.readValue(raw, Object.class);
        if (!(parsed instanceof Map)) {
            throw new IOException("got " + (parsed == null ? "null" : parsed.getClass().getSimpleName()));
        }
        return new LinkedHashMap<>((Map<String, Object>) parsed);
    }

    private static byte[] readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] data = in.readNBytes(MAX_BODY + 1);
            return data.length > MAX_BODY ? null : data;
        }
    }

    private static void drain(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    private static Map<String, Object> error(String message, String requestId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("request_id", requestId);
        return body;
    }

    private static void sendJson(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
        send(exchange, status, "application/json", MAPPER.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
