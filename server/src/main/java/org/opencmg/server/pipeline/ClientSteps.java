package org.opencmg.server.pipeline;

import java.util.List;
import org.opencmg.api.ClientRequest;
import org.opencmg.api.Device;
import org.opencmg.api.GatewayService;
import org.opencmg.server.refusal.RequestRefused;

/**
 * The client pipeline's steps in their one order, as in DESIGN.md: authenticate ─▶ normalise path
 * ─▶ gateway service? ─▶ match mapping ─▶ authorise device ─▶ quota. {@link ClientPipelineHandler}
 * runs them on a device's request, then holds or forwards it; {@link RequestExplainer} runs the very
 * same on a described request, counting nothing, and says where it ended. A step that refuses
 * throws its {@link RequestRefused}.
 */
public final class ClientSteps {

    private final AuthenticationStep authentication;
    private final PathNormalizer normalizer = new PathNormalizer();
    private final ServiceStep services;
    private final MappingStep mapping;
    private final AuthorizationStep authorization;
    private final QuotaStep quotas;

    public ClientSteps(
            AuthenticationStep authentication,
            ServiceStep services,
            MappingStep mapping,
            AuthorizationStep authorization,
            QuotaStep quotas) {
        this.authentication = authentication;
        this.services = services;
        this.mapping = mapping;
        this.authorization = authorization;
        this.quotas = quotas;
    }

    ServiceStep services() {
        return services;
    }

    /** Who the request is, as far as the steps got (a refusal names its device). */
    public static final class Progress {
        private List<Device> devices = List.of();
        private Device device;

        /** Every device the request authenticated as. */
        public List<Device> devices() {
            return devices;
        }

        /** The device chosen for the endpoint, or null before authorisation. */
        public Device device() {
            return device;
        }
    }

    /** Where the steps led. */
    public sealed interface Outcome permits Served, Mapped {}

    /** To be answered by a gateway service. */
    public record Served(GatewayService service, CanonicalPath path, String query) implements Outcome {}

    /**
     * A published endpoint, for {@code device}, within its budgets.
     *
     * @param admitted the budgets' use to meter, or null when nothing is counted
     */
    public record Mapped(
            MappingSnapshot.Match match, CanonicalPath path, String query, Device device, QuotaStep.Admitted admitted)
            implements Outcome {

        /** Where a forwarded request goes. */
        public Route route(String method) {
            return new Route(match.endpoint(), method, path, match.prefixSegments(), query, device, match.headers());
        }
    }

    /**
     * Runs the steps in order.
     *
     * @param count true for a device's request (its budgets' use is counted), false to only say what would happen
     */
    public Outcome run(
            ClientRequest request, String rawPath, String rawQuery, String method, boolean count, Progress progress) {
        progress.devices = authentication.authenticate(request);
        CanonicalPath path = normalizer.normalise(rawPath);
        String query = normalizer.checkQuery(rawQuery);
        var service = services.find(path);
        if (service.isPresent()) {
            if (progress.devices.isEmpty() && !service.get().allowsAnonymous()) {
                throw AuthenticationStep.noCredentials();
            }
            return new Served(service.get(), path, query);
        }
        if (progress.devices.isEmpty()) {
            throw AuthenticationStep.noCredentials();
        }
        var match = mapping.match(path, method);
        progress.device = authorization.choose(progress.devices, match.endpoint());
        QuotaStep.Admitted admitted = null;
        if (count) {
            admitted = quotas.admit(match.endpoint(), progress.device);
        } else {
            var overBudget = quotas.wouldRefuse(match.endpoint(), progress.device);
            if (overBudget.isPresent()) {
                throw overBudget.get();
            }
        }
        return new Mapped(match, path, query, progress.device, admitted);
    }
}
