"""All DDL of the warehouse, as numbered migrations applied in order.

A migration is never edited once released: add a new one. `schema_version` records
which have run, so an older warehouse is brought up to date when it is opened.
"""

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        create sequence file_ids start 1;

        -- the ingest ledger: one row per input file loaded
        create table ingest_files (
            file_id        integer primary key,
            path           varchar not null,
            sha256         varchar not null,
            bytes          bigint not null,
            format         varchar not null,
            lines_read     bigint not null,   -- records read: non-blank lines (objects in pretty-printed JSON)
            events_loaded  bigint not null,   -- records now in the warehouse (a request and its response are two)
            duplicates     bigint not null,   -- records already in the warehouse, or repeated within the file
            quarantined    bigint not null,   -- records not loaded, each with a row in quarantine
            events_created bigint not null,   -- new rows in events (a request/response pair makes one)
            raw_values     bigint not null,   -- plain-text values where HMACs belong (log_raw=true)
            log_raw        boolean not null,
            started_at     timestamptz not null,
            finished_at    timestamptz not null
        );

        create table quarantine (
            file_id  integer not null,
            line     bigint not null,
            reason   varchar not null,
            excerpt  varchar           -- the first 1 KB of the line
        );

        -- one row per audit event; a Vault request joined with its response
        create table event_store (
            event_id         varchar not null,
            source           varchar not null,
            ts               timestamptz,
            actor            varchar,
            actor_name       varchar,
            actor_type       varchar,
            auth_method      varchar,
            token_id         varchar,   -- HMAC of the token accessor (else of the token)
            token_ttl_s      bigint,    -- TTL of the token a login or token creation issued
            policies         varchar[],
            action           varchar,
            category         varchar,
            resource         varchar,
            mount            varchar,
            src_ip           varchar,
            user_agent       varchar,
            outcome          varchar,
            error            varchar,
            file_id          integer,
            line             bigint,
            -- beyond the contract
            path             varchar,
            namespace        varchar,
            request_id       varchar,
            entity_id        varchar,
            token_type       varchar,
            client_token     varchar,   -- HMAC of the client token
            issued_token_id  varchar,   -- HMAC of the accessor a login or token creation issued
            auth_token_ttl_s bigint,    -- TTL of the token that made the request
            auth_metadata    json,      -- identity metadata (role, email, ...): never secret values
            request_keys     varchar[], -- field names of request.data
            response_keys    varchar[], -- field names of response.data
            data_hmacs       varchar[], -- HMAC'd values of request/response data, for leak search
            raw_values       integer,   -- plain-text values seen (and not stored) in data
            has_request      boolean,
            has_response     boolean,
            response_file_id integer,
            response_line    bigint,
            request_hash     uhugeint,  -- md5 of the request record, for duplicate detection
            response_hash    uhugeint
        );

        create view events as
        select event_id, source, ts, actor, actor_name, actor_type, auth_method, token_id,
               token_ttl_s, policies, action, category, resource, mount, src_ip, user_agent,
               outcome, error, file_id, line, path, namespace, request_id, entity_id, token_type,
               client_token, issued_token_id, auth_token_ttl_s, auth_metadata, request_keys,
               response_keys, data_hmacs, raw_values, has_request, has_response,
               response_file_id, response_line
        from event_store;
        """,
    ),
]

MIGRATIONS.append((
    2,
    """
    -- thresholds used by the last run; the views read them (a session variable overrides)
    create table vl_config (key varchar primary key, value varchar not null);

    create sequence snapshot_ids start 1;

    -- one row per `inventory load`: a dated snapshot of the secrets that exist
    create table inventory_snapshots (
        snapshot_id   integer primary key,
        taken_at      timestamptz not null,   -- when the inventory was true (--as-of), else load time
        loaded_at     timestamptz not null,
        sources       varchar[] not null,
        rows_loaded   integer not null,
        rows_rejected integer not null
    );
    create table inventory_rows (
        snapshot_id      integer not null,
        secret_id        varchar not null,    -- canonical key, as events.resource names it
        store            varchar not null,
        name             varchar not null,    -- as given
        kind             varchar not null,
        owner            varchar,
        environment      varchar,
        created_at       timestamptz,
        last_rotated_at  timestamptz,
        last_accessed_at timestamptz,
        rotation_days    integer,
        expires_at       timestamptz,
        source           varchar not null,
        row_number       integer not null
    );
    create table inventory_rejects (
        snapshot_id integer not null,
        source      varchar not null,
        row_number  integer not null,
        reason      varchar not null,
        excerpt     varchar
    );

    -- one row per `policies load`: a dated snapshot of ACL policies; baseline = approved set
    create table policy_snapshots (
        snapshot_id integer primary key,
        taken_at    timestamptz not null,
        loaded_at   timestamptz not null,
        baseline    boolean not null,
        sources     varchar[] not null
    );
    create table policy_texts (
        snapshot_id integer not null,
        policy      varchar not null,
        source      varchar not null,
        sha256      varchar not null,
        text        varchar not null
    );
    create table policy_rules (
        snapshot_id  integer not null,
        policy       varchar not null,
        path         varchar not null,
        capabilities varchar[] not null
    );

    -- `vaultlab check` runs and their results
    create table check_runs (
        run_id      varchar primary key,
        framework   varchar not null,
        period      varchar not null,
        period_start timestamptz,
        period_end  timestamptz,
        started_at  timestamptz not null,
        thresholds  json not null,
        exceptions  varchar,
        vaultlab_version varchar not null
    );
    create table control_results (
        run_id     varchar not null,
        framework  varchar not null,
        control_id varchar not null,
        "check"    varchar not null,
        resource   varchar,
        status     varchar not null,   -- ok / alarm / skip / info / error / manual / excepted
        reason     varchar,
        exception  json                -- the accepted risk that covers an alarm
    );
    """,
))


MIGRATIONS.append((
    3,
    """
    -- cloud audit logs (CloudTrail, GCP Cloud Audit Logs, Azure Key Vault) beside Vault's
    alter table event_store add column account varchar;         -- AWS account, GCP project, Azure subscription
    alter table event_store add column region varchar;          -- AWS region, GCP/Azure location
    alter table event_store add column source_host varchar;     -- a caller named by host or service, not address
    alter table event_store add column resource_alias varchar;  -- another name of the resource (an AWS secret's name)

    create or replace view events as
    select event_id, source, ts, actor, actor_name, actor_type, auth_method, token_id,
           token_ttl_s, policies, action, category, resource, mount, src_ip, user_agent,
           outcome, error, file_id, line, path, namespace, request_id, entity_id, token_type,
           client_token, issued_token_id, auth_token_ttl_s, auth_metadata, request_keys,
           response_keys, data_hmacs, raw_values, has_request, has_response,
           response_file_id, response_line, account, region, source_host, resource_alias
    from event_store;
    """,
))


MIGRATIONS.append((
    4,
    """
    -- `vaultlab verify-cloudtrail` runs: CloudTrail log file integrity, for the audit-coverage checks
    create table integrity_runs (
        run_id          varchar primary key,
        location        varchar not null,   -- the folder or s3://bucket/prefix validated
        checked_at      timestamptz not null,
        valid_digests   integer not null,
        valid_log_files integer not null,
        ok              boolean not null
    );
    create table integrity_findings (
        run_id varchar not null,
        kind   varchar not null,   -- changed / missing / missing_digest / bad_signature / unsigned / ...
        path   varchar not null,
        detail varchar
    );
    """,
))


MIGRATIONS.append((
    5,
    """
    -- `vaultlab inventory collect` / `policies collect` runs against a live Vault or AWS
    create table collect_runs (
        run_id    varchar primary key,
        store     varchar not null,      -- vault / aws
        source    varchar not null,      -- the address (and namespace), or the account and regions
        taken_at  timestamptz not null,
        secrets   integer not null,
        policies  integer not null,
        gaps      integer not null,
        requests  integer not null
    );
    -- what only a live system tells: mounts, auth methods, audit devices, tokens, entities, ...
    create table collected_facts (
        run_id varchar not null,
        kind   varchar not null,
        name   varchar not null,
        data   json not null
    );
    -- policy snapshots of several stores (Vault ACL policies, AWS resource policies) drift apart
    alter table policy_snapshots add column store varchar default 'vault';

    -- what a collection could not read (a subtree that answered 403, a call that kept failing)
    create table collect_gaps (
        run_id varchar not null,
        path   varchar not null,
        reason varchar not null
    );
    """,
))

MIGRATIONS.append((
    6,
    """
    -- token accessors written in clear while tokens and data are HMAC'd: a Vault audit device
    -- with hmac_accessor=false (its own finding, not log_raw)
    alter table ingest_files add column plain_accessors bigint default 0;
    """,
))

MIGRATIONS.append((
    7,
    """
    -- how a file's records were identified for duplicate search: 2 is the identity taken from the
    -- record's one parse (any layout or key order); files loaded before (1) were hashed otherwise,
    -- so a record of theirs that arrives again in another file is not recognised as a duplicate
    alter table ingest_files add column record_identity integer default 2;
    update ingest_files set record_identity = 1;
    """,
))

LATEST = MIGRATIONS[-1][0]
