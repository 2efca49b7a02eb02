package io.fluxfleet.worker;

import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Every Kafka client the worker builds itself (besides the SmallRye channels) starts from Quarkus'
 * default Kafka configuration: the {@code kafka.*} properties, bootstrap servers, security protocol,
 * SASL and TLS settings included, exactly as the channels get them. Nothing is copied by hand.
 */
@ApplicationScoped
public class KafkaClients {

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> defaults;

    private volatile KafkaProducer<String, byte[]> producer;

    /** The connection and security settings every client shares (a copy). */
    public Map<String, Object> connection() {
        return new HashMap<>(defaults);
    }

    /** The shared producer of the retry, dead-letter and attempts records: acks=all, idempotent. */
    public KafkaProducer<String, byte[]> producer() {
        KafkaProducer<String, byte[]> p = producer;
        if (p == null) {
            synchronized (this) {
                if (producer == null) {
                    Map<String, Object> config = connection();
                    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
                    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
                    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
                    config.put(ProducerConfig.ACKS_CONFIG, "all");
                    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
                    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
                    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
                    config.put(ProducerConfig.CLIENT_ID_CONFIG, "fluxfleet-reliability-producer");
                    producer = new KafkaProducer<>(config);
                }
                p = producer;
            }
        }
        return p;
    }

    /** A consumer for assign()-style readers: no group membership, no commits. */
    public KafkaConsumer<String, byte[]> reader(String clientId) {
        Map<String, Object> config = connection();
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(config);
    }

    public Admin admin() {
        Map<String, Object> config = connection();
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put("default.api.timeout.ms", 30_000);
        return Admin.create(config);
    }

    @PreDestroy
    void close() {
        KafkaProducer<String, byte[]> p = producer;
        if (p != null) {
            p.close(Duration.ofSeconds(10));
        }
    }
}
