"""English templates for gemini's task types: it analyses, researches, explains and documents."""

from templates_codex import _lines

GEMINI = {
    "analysis": {
        "titles": _lines("""
            Analyze {data}
            Analysis of {data}
            Analysis: why did {metric} go up last week?
            Postmortem analysis of the outage
            Investigate the jump in {metric}
            Summary of {data}
            Top error types in {data}
            Break down {metric} by customer tier
            Insights from {data}
            Usage trends for the {component}
            Churn drivers in {data}
            Coupling analysis of the monorepo
            Cost analysis of our cloud spend
        """),
        "asks": _lines("""
            analyze {data} and tell me what stands out
            look at {data} and tell me when {metric} degrades and why
            summarize what {data} says about {metric}
            go through {data} and tell me which customers are most affected
            compare {data} with the previous period and explain what changed
            look at {data} and find the bottleneck
            what patterns do you see in {data}?
            dig into {data} and give me the three biggest issues
            using {data}, analyse why {metric} regressed between the last two releases
            segment {data} by plan and summarize
            analyse how people actually use the {component}, based on {data}
            study {data} and report anomalies
            which modules change together most often according to {data}?
            cluster {data} into themes and give counts
            where does the money in {data} go?
            assess how risky our dependencies are from {data}
            what's the overall sentiment in {data}?
            findings only, no code: {data}
            evaluate {metric} across regions from {data}
            interpret {data} for me, what does it mean for the roadmap?
            read through {data} and tell me what the data says
        """),
        "bodies": _lines("""
            No code please, just the findings.
            A table of the top items plus a few sentences is perfect.
            It covers the last three months.
            I want to understand what drives these numbers.
            Point out anything that looks unusual.
        """),
    },
    "research": {
        "titles": _lines("""
            Research {research_topic}
            Literature survey on {research_topic}
            State of {research_topic} in {year}
            Evaluate alternatives to {tech}
            Options for {research_topic}
            Prior art: {research_topic}
            Spike: what tools exist for {research_topic}?
            Papers on {research_topic}
            Best practices for {research_topic}
            Review of existing approaches to {research_topic}
            Investigate {tech} licensing
        """),
        "asks": _lines("""
            research {research_topic} and summarize the trade-offs with sources
            what are the options today for {research_topic}?
            compare {tech} and {tech2} from public benchmarks and write up the findings
            what do teams use for {research_topic} these days? look into it
            how do other companies approach {research_topic}? collect examples
            find academic work on {research_topic} and summarize the main results
            gather published benchmarks for {tech} vs {tech2}
            do a literature review on {research_topic} and note where each source came from
            survey the {lang} libraries for {research_topic}
            look into the licensing implications of bundling GPL code
            what does the community recommend for {research_topic}?
            does {tech} support {feature_short}? cite the documentation
            review the literature on {research_topic}
            what has been tried before for {research_topic}? find references
        """),
        "bodies": _lines("""
            Please link the sources.
            Not asking for an implementation, only what exists.
            A short table of options with pros, cons and maturity would be ideal.
            Prefer recent sources.
            We want to know what others did before we decide.
        """),
    },
    "documentation": {
        "titles": _lines("""
            Document the {component}
            Docs for the {component}
            docs: explain how to configure the {component}
            Improve the README
            API reference for the {component}
            Document all environment variables
            Document how releases are cut
            Record the decision to adopt {tech} in an ADR
            ADR for choosing {tech} over {tech2}
            Docstrings for the {component}
            Runbook for the {component}
            FAQ for the {component}
            Release notes for {version}
            Keep a changelog
            Troubleshooting section
            Upgrade guide for {version}
            Local development setup docs
            Comment the tricky parts of {path}
            Contributor guide
            Tutorial: your first plugin
        """),
        "asks": _lines("""
            document the {component} in docs/{doc_file}
            write docs for the {component}: purpose, configuration, examples
            write an ADR recording why we went with {tech}
            add docstrings to every public function in {path}
            write a README for the {component}
            write an architecture decision record for moving {migration}
            add JSDoc to the {component}
            write a runbook for when the {component} {symptom}
            turn these notes into proper docs: {notes}
            write the reference docs for the {component} endpoints
            write release notes for {version} from the merged PRs
            document how to run {tech} locally
            write a user guide for the {component}
            write the docs section that introduces the {component} to new users
            write a man page for the {component}
            explain in the README how to configure the {component}
        """),
        "bodies": _lines("""
            New people keep asking the same questions.
            Keep it short, with examples.
            Audience: someone who has never seen the project.
        """),
    },
    "explanation": {
        "titles": _lines("""
            Explain {concept}
            How does {concept} work?
            What is {concept}?
            Question about {concept}
            [Question] how does the {component} decide what to do?
            {concept} vs {concept2}
            Why does {func} return a copy?
            What does this warning mean?
            Clarification needed on {concept}
            Confused by the {component} behaviour
            ELI5: {concept}
        """),
        "asks": _lines("""
            explain {concept} to me
            walk me through {concept} step by step
            how does {concept} work under the hood?
            what's the difference between {concept} and {concept2}?
            what does this code do? {snippet}
            why would anyone use {concept}? when does it pay off?
            can u explian {concept} in simple words
            what is {concept} and how does {tech} use it?
            help me understand how the {component} works here
            how does {tech} implement {concept}?
            I don't get {concept}, explain it like I'm five
            teach me {concept} with a tiny example
            why does this print the same value three times? {snippet}
            what happens internally when I call {func}?
            before I touch the {component}, explain how it works
            what does this regex match? {regex}
            why does {tech} rely on {concept}?
            is {concept} the same thing as {concept2}?
            what's the intuition behind {concept}?
        """),
        "bodies": _lines("""
            I'm new to this and the docs didn't click.
            No changes needed, I just want to understand it.
            A small example would help.
        """),
    },
}
