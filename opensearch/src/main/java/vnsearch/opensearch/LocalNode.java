package vnsearch.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.action.admin.cluster.health.ClusterHealthResponse;
import org.opensearch.cluster.health.ClusterHealthStatus;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.env.Environment;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch 2.19 node of a loopback cluster, started from Maven jars.
 *
 * <p>The distribution tarball is not available on the project's machines, so
 * this class does what its bootstrap would do for a development node: it
 * builds a {@link Node} with its modules given as classpath plugins (netty4
 * for HTTP and transport, analysis-common for the whitespace analyzer). One
 * JVM holds one node, so a test can kill -9 a single node of the cluster.
 *
 * <pre>
 * java -Xms512m -Xmx512m -cp target/classes:$(cat target/classpath.txt) \
 *     vnsearch.opensearch.LocalNode --dir /tmp/os --node 0 --nodes 3 \
 *     --http-port 9200 --transport-port 9300
 * </pre>
 *
 * Node i answers HTTP on http-port + i and transport on transport-port + i,
 * keeps its files under DIR/node-i/{data,logs}, and finds the others through
 * 127.0.0.1 only. It prints one line "vn-search-node: started ..." once its
 * HTTP port is bound, "vn-search-node: cluster green|yellow ..." once the
 * cluster has formed, and closes the node cleanly on SIGTERM (and, with
 * --stop-with-stdin true, when its standard input closes).
 */
public final class LocalNode {

    /** Node's constructor that takes plugin classes is protected: this is the way in. */
    static final class ClasspathNode extends Node {
        ClasspathNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }

        @Override
        protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {
            // The listener writes node and cluster ids into log4j's context, which
            // needs the log configuration the distribution's bootstrap installs; we
            // log to the console instead, so skip it.
        }
    }

    private LocalNode() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        Path dir = Path.of(required(options, "dir")).toAbsolutePath();
        int index = Integer.parseInt(options.getOrDefault("node", "0"));
        int nodes = Integer.parseInt(options.getOrDefault("nodes", "1"));
        int httpPort = Integer.parseInt(options.getOrDefault("http-port", "9200"));
        int transportPort = Integer.parseInt(options.getOrDefault("transport-port", "9300"));
        String clusterName = options.getOrDefault("cluster-name", "vn-search");
        if (index < 0 || index >= nodes) {
            throw new IllegalArgumentException("--node must be in 0.." + (nodes - 1) + ", got " + index);
        }

        String nodeName = "node-" + index;
        Path home = dir.resolve(nodeName);
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));

        Settings.Builder settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", clusterName)
            .put("node.name", nodeName)
            .put("network.host", "127.0.0.1")
            .put("http.port", Integer.toString(httpPort + index))
            .put("transport.port", Integer.toString(transportPort + index))
            // A test machine's disk may be fuller than the default watermarks allow;
            // shards must still be allocated there.
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        if (nodes == 1) {
            settings.put("discovery.type", "single-node");
        } else {
            List<String> seeds = new ArrayList<>();
            List<String> managers = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                seeds.add("127.0.0.1:" + (transportPort + i));
                managers.add("node-" + i);
            }
            settings.putList("discovery.seed_hosts", seeds);
            settings.putList("cluster.initial_cluster_manager_nodes", managers);
        }
        for (Map.Entry<String, String> extra : options.entrySet()) {
            if (extra.getKey().startsWith("E")) {
                settings.put(extra.getKey().substring(1), extra.getValue());
            }
        }

        Environment environment = new Environment(settings.build(), home.resolve("config"));
        List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);
        Node node = new ClasspathNode(environment, plugins);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("vn-search-node: error while stopping " + nodeName + ": " + e);
            } finally {
                System.out.println("vn-search-node: stopped " + nodeName);
                System.out.flush();
                stopped.countDown();
            }
        }, "vn-search-node-shutdown"));

        // Times are counted from the JVM's start, which is what a caller waits for.
        if (Boolean.parseBoolean(options.getOrDefault("stop-with-stdin", "false"))) {
            stopWhenStdinCloses();
        }
        long startedAt = System.nanoTime() - java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;
        node.start();
        System.out.printf("vn-search-node: started %s http=127.0.0.1:%d transport=127.0.0.1:%d pid=%d in %.1f s%n",
            nodeName, httpPort + index, transportPort + index, ProcessHandle.current().pid(),
            (System.nanoTime() - startedAt) / 1e9);
        System.out.flush();
        reportHealth(node, nodes, startedAt);
        stopped.await();
    }

    /** Waits (in this node) until the cluster has every node, then says how healthy it is. */
    private static void reportHealth(Node node, int nodes, long startedAt) {
        // One node cannot hold a replica, so yellow is as good as it gets there.
        ClusterHealthStatus wanted = nodes == 1 ? ClusterHealthStatus.YELLOW : ClusterHealthStatus.GREEN;
        while (true) {
            try {
                ClusterHealthResponse health = node.client().admin().cluster().prepareHealth()
                    .setWaitForNodes(Integer.toString(nodes))
                    .setWaitForStatus(wanted)
                    .setTimeout(TimeValue.timeValueSeconds(30))
                    .get();
                if (!health.isTimedOut()) {
                    System.out.printf("vn-search-node: cluster %s with %d nodes after %.1f s%n",
                        health.getStatus().name().toLowerCase(java.util.Locale.ROOT),
                        health.getNumberOfNodes(), (System.nanoTime() - startedAt) / 1e9);
                    System.out.flush();
                    return;
                }
            } catch (Exception e) {
                // The node is closing, or the cluster has no manager yet: ask again
                // unless we are stopping.
                if (node.isClosed()) {
                    return;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Exits (running the shutdown hook) when standard input reaches its end:
     * a test session that holds the other end of the pipe and dies, even by
     * kill -9, takes its nodes with it instead of leaving JVMs behind.
     */
    private static void stopWhenStdinCloses() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // nothing is ever written; only the end matters
                }
            } catch (java.io.IOException e) {
                // a broken pipe is an end too
            }
            System.out.println("vn-search-node: standard input closed, stopping");
            System.out.flush();
            System.exit(0);
        }, "vn-search-node-stdin");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** "--key value" pairs; "-Ekey=value" passes any other node setting through. */
    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.startsWith("-E") && arg.contains("=")) {
                int eq = arg.indexOf('=');
                options.put("E" + arg.substring(2, eq), arg.substring(eq + 1));
            } else if (arg.startsWith("--") && i + 1 < args.length) {
                options.put(arg.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("unexpected argument " + arg
                    + " (expected --dir, --node, --nodes, --http-port, --transport-port, --cluster-name,"
                + " --stop-with-stdin or -Ekey=value)");
            }
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }
}
