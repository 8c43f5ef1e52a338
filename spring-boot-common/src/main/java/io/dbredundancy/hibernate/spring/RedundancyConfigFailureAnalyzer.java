package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.RedundancyConfigException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * A bad {@code hibernate.redundancy.*} value: the start report is the library's one line (the property, the value,
 * never a password, what is allowed), without a stack trace.
 */
public class RedundancyConfigFailureAnalyzer extends AbstractFailureAnalyzer<RedundancyConfigException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, RedundancyConfigException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Fix " + cause.property() + " (application properties or environment).", null);
    }
}
