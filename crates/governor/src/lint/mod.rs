//! `aethelgard lint`: findings for overprovisioned or weakly enforced agent configurations. Being written this session.
