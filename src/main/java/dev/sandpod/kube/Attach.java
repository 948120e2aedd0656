package dev.sandpod.kube;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import dev.sandpod.run.Envelope;
import dev.sandpod.run.OutputLines;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.WebSocket;

/**
 * Gives a claimed standby pod its job through the attach subresource and collects what its runner prints up to the
 * result line: one WebSocket in the {@code v4.channel.k8s.io} protocol, channel 0 in, channel 1 out.
 *
 * <p>Kubernetes cannot close an attached stdin (kubernetes#89899), so the job ends with a newline, up to which the
 * runner's {@code --job-stdin} reads, and the result line rather than the stream's end finishes the run. The WebSocket
 * is opened directly: fabric8's {@code attach()} first waits for the pod to be ready, which lists and watches it.
 */
final class Attach implements WebSocket.Listener {
    private static final String PROTOCOL = "v4.channel.k8s.io";
    private static final byte STDIN = 0;
    private static final byte STDOUT = 1;
    private static final byte[] RESULT_PREFIX = Envelope.PREFIX.getBytes(StandardCharsets.US_ASCII);

    private final byte[] job;
    private final int maxBytes;
    private final OutputLines streamed;
    private final byte[] lineHead = new byte[RESULT_PREFIX.length];
    private int lineHeadLength;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final CompletableFuture<String> result = new CompletableFuture<>();
    private volatile boolean delivered;
    private volatile WebSocket socket;

    private Attach(String jobJson, int maxBytes, OutputLines streamed) {
        this.job = (jobJson + "\n").getBytes(StandardCharsets.UTF_8);
        this.maxBytes = maxBytes;
        this.streamed = streamed;
    }

    /**
     * Attaches to the pod's sandbox container and sends the job once the stream is open; {@code streamed} sees the
     * runner's stdout as it comes.
     */
    static Attach open(KubernetesClient client, String namespace, String pod, String jobJson, int maxBytes,
                       OutputLines streamed) {
        Attach attach = new Attach(jobJson, maxBytes, streamed);
        URI uri = URI.create(client.getMasterUrl() + "api/v1/namespaces/" + namespace + "/pods/" + pod
                + "/attach?container=" + PodSpecs.CONTAINER + "&stdin=true&stdout=true");
        client.getHttpClient().newWebSocketBuilder().subprotocol(PROTOCOL).uri(uri).buildAsync(attach)
                .whenComplete((socket, error) -> {
                    if (error != null) {
                        attach.result.completeExceptionally(error);
                    }
                });
        return attach;
    }

    /** The runner's stdout: complete once it holds the result line, or when the stream ends or fails. */
    CompletableFuture<String> stdout() {
        return result;
    }

    /** Whether the job went out; until then nothing ran, and the pod can be given up without a verdict. */
    boolean delivered() {
        return delivered;
    }

    void close() {
        WebSocket open = socket;
        if (open != null) {
            open.sendClose(1000, "done");
        }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        socket = webSocket;
        ByteBuffer frame = ByteBuffer.allocate(job.length + 1).put(STDIN).put(job).flip();
        delivered = webSocket.send(frame);
        webSocket.request();
    }

    @Override
    public void onMessage(WebSocket webSocket, ByteBuffer frame) {
        if (frame.hasRemaining() && frame.get() == STDOUT) {
            byte[] bytes = new byte[Math.min(frame.remaining(), maxBytes - stdout.size())];
            frame.get(bytes);
            stdout.write(bytes, 0, bytes.length);
            streamed.feed(bytes, 0, bytes.length);
            if (endsResultLine(bytes) || stdout.size() >= maxBytes) {
                result.complete(stdout.toString(StandardCharsets.UTF_8));
                close();
                return;
            }
        }
        webSocket.request();
    }

    @Override
    public void onClose(WebSocket webSocket, int code, String reason) {
        result.complete(stdout.toString(StandardCharsets.UTF_8));
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        result.completeExceptionally(error);
    }

    /**
     * Whether {@code bytes}, the next ones of stdout, end the result line. Only the head of the current line is kept, so
     * that a stream of many streamed lines costs one pass over its bytes.
     */
    private boolean endsResultLine(byte[] bytes) {
        for (byte b : bytes) {
            if (b == '\n') {
                if (lineHeadLength == RESULT_PREFIX.length && Arrays.equals(lineHead, RESULT_PREFIX)) {
                    return true;
                }
                lineHeadLength = 0;
            } else if (lineHeadLength < RESULT_PREFIX.length) {
                lineHead[lineHeadLength++] = b;
            }
        }
        return false;
    }
}
