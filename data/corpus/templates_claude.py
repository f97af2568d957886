"""English templates for claude's task types: systems, APIs and schemas, trade-offs, multi-step plans."""

from templates_codex import _lines

CLAUDE = {
    "architecture": {
        "titles": _lines("""
            Architecture for {system}
            System design: {system}
            Target architecture for the {component}
            [RFC] architecture of {system}
            Proposal: move the {component} into its own service
            Event-driven architecture for the {component}
            Multi-region setup for the {component}
            Scalable backend for {system}
            Failover design for the {component}
            Spike: architecture options for {system}
            Architecture review of the {component} proposal
            High-level design of {system}
            Platform architecture for {system}
        """),
        "asks": _lines("""
            design {system} that can take {n_big} requests per second
            design the architecture of {system}
            we need an architecture for {system}: which components, and how do they communicate?
            propose a system design for {system}
            {tech} or {tech2} for the {component}? weigh the trade-offs and pick one
            design a scalable {system} for {n_big} monthly users
            how do we architect {system} to survive losing a region?
            sketch the high-level architecture of {system}: services, storage, queues
            monolith or services for {system}? compare the trade-offs for a small team
            sync HTTP, gRPC or events between our services? think it through
            pick the storage for {system}: {tech} or {tech2}, considering cost, latency and operations
            we're building {system}; lay out the architecture and the key trade-offs
            how should {system} be made multi-tenant? shared or isolated infrastructure?
            architect the data flow of {system} from ingestion to reporting
            what architecture fits {system} at {n_big} events per day, and why?
            is CQRS worth it for the {component} or is plain CRUD enough? decide
            design the deployment topology for {system} on {cloud}
            how should we structure the backend for {system} so teams can work independently?
            which architecture would you choose for {system} given a tight budget?
            propose the components and their interactions for {system}
        """),
        "bodies": _lines("""
            We expect {n_big} users in year one.
            Read latency matters more than cost.
            Consider failure modes, consistency and scaling.
            The team knows {tech} well.
            Include a component diagram and the main trade-offs.
        """),
    },
    "design": {
        "titles": _lines("""
            Database schema for {domain}
            GraphQL schema for {domain}
            API design for {domain}
            Data model for {entity}
            REST API for {domain}
            Design: bulk operations API
            Schema changes for the new {feature_short} feature
            Authorization model for {domain}
            Webhook payload and signing design
            Order lifecycle state machine
            Error format for the public API
            Interface between the {component} and the {component2}
            Event contracts for {entity}
            Module interfaces for the {component}
            Design the pagination scheme for the API
        """),
        "asks": _lines("""
            design the database schema for {domain} ({entity})
            design the data model and API for {domain}
            propose a versioning and deprecation policy for our public API
            design the GraphQL schema for {domain}
            design the tables and indexes for {entity} in {tech}
            what should the {component}'s interface look like? propose types and methods
            design event schemas for {entity} that can evolve without breaking consumers
            design the error codes and error body for our API
            design the webhook payload, signature and retry rules
            propose the module boundaries and interfaces for the {component} rewrite
            design the permissions for {domain}
            design an idempotent API for {feature_short}
            model {entity} as a state machine and define the transitions
            what should the request and response shapes be for {feature_short}? design the endpoints
            design the schema so {entity} can be soft-deleted and audited
        """),
        "bodies": _lines("""
            Old clients must keep working for a year.
            Think about adding fields later.
            It must serve both web and mobile.
            Consider migrations and backwards compatibility.
        """),
    },
    "planning": {
        "titles": _lines("""
            Roadmap for {half}
            Migration plan {migration}
            Plan the move {migration}
            Rollout of {version}
            Strategy to cut cloud costs
            Deprecation plan for API {version}
            Plan for ISO 27001 readiness
            Migration strategy {migration}
            {half} planning for the {team}
            Rollout plan for the {component}
            Sunsetting the legacy {component}
            Plan the rewrite of the {component}
            Prioritise the tech-debt backlog
            Launch plan for {feature_short}
        """),
        "asks": _lines("""
            define a strategy for {strategy_topic}
            we need a plan to break up the monolith: what first, what are the risks?
            write a rollout plan for the {component}: beta, staged rollout, GA
            write a migration plan {migration} with as little downtime as possible
            prioritise these items into a quarterly plan: {roadmap_items}
            plan the deprecation of API {version} without breaking customers
            how do we get compliance-ready in 6 months? milestones please
            break the {component} rewrite into milestones with owners and dates
            a strategy to reduce cloud spend by a third this year
            plan the {team}'s delivery for next quarter
            plan the {version} release: scope, risks, timeline
            what should we tackle first to stabilise the platform? make a plan
            propose a timeline and phases for retiring the legacy {component}
        """),
        "bodies": _lines("""
            Leadership wants dates next week.
            Work out what must come first and what can run in parallel.
        """),
    },
    "multi_step": {
        "titles": _lines("""
            Coordinate the cutover to the new cluster
            Cross-repo rollout of the new {component}
            Cross-team upgrade to {tech} {version}
            Upgrade every service to {tech} {version}
            End-to-end: replace the {component}
            Rename the {component} across all services
            Roll out structured logging everywhere
        """),
        "asks": _lines("""
            in every repo: bump the {tech} client, regenerate the stubs, fix the call sites, then release each service in order
            coordinate the cutover weekend: freeze writes, copy the data, verify counts, flip DNS, then reopen writes
            carry out the switch to {tech}: shared library first, then every service, then remove the shim
            end to end: add the new column, backfill, move readers, move writers, drop the old column
            coordinate the release of the {component} on web, iOS, Android and backend
            do the whole change: create the new topic, update producers, move consumers, retire the old queue
            1) rename the field in the API 2) update the SDKs 3) update the docs 4) remove the alias
            sequence the work between the {team} and the {team2}: schema, API, client release, cleanup
            take the {component} from prototype to production: hardening, monitoring, load test, docs, launch
            stand up the new environment end to end: accounts, network, CI, secrets, then move the services
            split this into steps and carry them out across the repos: {roadmap_items}
            orchestrate the upgrade: bump {tech} in the base image, rebuild every service, run the smoke tests, then roll out region by region
            first migrate the data, then switch the {component} to the new store, then update the reports, then clean up
        """),
        "bodies": _lines("""
            Each step depends on the previous one.
            Several teams and repositories are involved.
            We need a checkpoint after each step so we can stop safely.
            Keep track of ordering and hand-offs between components.
        """),
    },
}
