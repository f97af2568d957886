"""Cross-cue templates: the text names another type's keyword, the deliverable decides the label.

The families the issue names ("explain why this throws and fix it" is debugging, "design tokens
for the button" is code, "document the architecture decision" is documentation) and their
relatives: features whose name is an analysis, research notes about a design, plans that mention
fixing or reviewing, explanations about errors, analyses about performance.
"""

from templates_codex import _lines

MIXED = {
    "debugging": _lines("""
        explain why the {component} throws {error} and fix it
        explain what's wrong with {func} and then fix it
        analyze why the {component} {symptom} and patch it
        investigate the {error} in the {component} and make it stop
        look into why {func} deadlocks sometimes and fix the locking
        tell me why this fails and correct it: {snippet}
        figure out the root cause of the {error} and fix it, with a short explanation
        research why {tech} {symptom} on our setup and fix our config
        review the stack trace below and fix the bug: {trace}
        understand why the {component} {symptom} and repair it
        the design page {symptom}, fix it
        the architecture diagram view {symptom}, please fix
        the analytics dashboard {symptom}, fix the bug
        documentation site build is broken: {error}
        planning board {symptom}, needs a fix
        why does the {component} crash when {event_action}? fix it please
        explain why this throws and fix it
        explain why it crashes and fix it
        explain why this fails, then fix it
        tell me why this breaks and fix it
        why does this throw? explain and fix
        explain this error and fix it
        explain why this test fails and fix it
        explain why it hangs and fix it
    """),
    "code_generation": _lines("""
        design tokens for the {component}: add them to the stylesheet and use them
        design tokens for the button
        design tokens for the {component}
        add design tokens for colors and spacing
        design tokens for buttons and inputs
        define the design tokens for the {component}
        create design tokens for the dark theme
        implement the design of the {component} from the mockups
        build the {component} according to the new design
        generate a {lang} client from our OpenAPI document
        write a Dockerfile and compose file for the {component}
        add a documentation link button to every settings page
        add an "explain" tooltip next to each chart
        create a report builder feature where users pick metrics and dates
        add a research notes panel to the {component}
        implement the planning calendar view in the {component}
        add architecture diagram export (SVG/PNG) to the editor
        add a review step to the publishing workflow where editors approve posts
    """),
    "documentation": _lines("""
        document the architecture decision to use {tech}
        write an overview of the current architecture for the docs
        document the analysis process the data team follows
        write docs describing how the planning process works
        document the test strategy for new hires
        write a doc explaining the performance tuning options
        document how to debug the {component} in production
    """),
    "research": _lines("""
        research how others design {research_topic} and summarize with links
        research papers on the design of {research_topic}
        what has been written about scaling {system}? find the best sources
        gather case studies on {research_topic} from other companies
        investigate existing tools for {research_topic}, report only, no plan
    """),
    "planning": _lines("""
        plan the rollout of {version}: phases, risks, communication
        create a plan to fix our CI reliability over the next two months
        turn the audit findings into a remediation plan with owners and dates
        plan the work to improve test coverage without stopping features
        plan the performance work for next quarter and sequence it
        a roadmap for the documentation overhaul
    """),
    "architecture": _lines("""
        investigate architecture options for {system} and recommend one
        analyze the trade-offs of {tech} vs {tech2} for {system} and pick an architecture
        plan the architecture for {system}
        review our current architecture and propose the target architecture for {system}
    """),
    "design": _lines("""
        decide the data model for {entity}: options and the one we pick
        design the contract between {component} and {component2}
        plan the schema changes for {entity}
    """),
    "analysis": _lines("""
        analyze {data} for performance bottlenecks and report
        analyze the test results and tell me which areas fail most
        review {data} and summarize the findings
        find out from {data} what causes the errors, just the analysis
        look at the profiler output and explain where the time goes, don't change code
        analyze the architecture dependencies in {data} and report the coupling
    """),
    "explanation": _lines("""
        explain this error to me, I don't want it fixed: {error}
        why does {tech} give {error}? I'm trying to understand, not fix
        explain how the {component} is designed, I'm new here
        explain the architecture of {tech} to me
        what is the design idea behind {concept}?
        explain why {func} is slow, just the reason
        explain the difference between a bug and a regression
        explain what this test does: {snippet}
    """),
    "code_review": _lines("""
        review the design of my class hierarchy in this PR
        review my implementation and explain what is wrong with it, don't fix it
        analyze my PR for bugs and list them
        review this Terraform before I apply it
        audit the dependencies in the PR for known vulnerabilities
    """),
    "refactoring": _lines("""
        refactor the {component} to the new design, no behaviour change
        restructure the code to match the architecture we agreed on
        clean up the analysis scripts, same results
        migrate the code {migration}
        port the code to the new version of {tech}, same behaviour
    """),
    "testing": _lines("""
        explain the failing assertion by writing a minimal test that reproduces it
        add tests for the architecture rules (module boundaries) in CI
        design test cases for {func} and implement them
        write tests for the analysis functions
    """),
    "performance_optimization": _lines("""
        analyze why the {component} is slow and make it faster
        investigate the memory usage of the {component} and reduce it
        review the hot path in {func} and optimize it
        profile and speed up the documentation build
    """),
    "multi_step": _lines("""
        plan and execute the move {migration}: prepare, migrate each service, verify, clean up
        design the change, implement it in all three services, update the docs and roll it out
        research the fix, apply it to every repo, release, then announce
    """),
}
