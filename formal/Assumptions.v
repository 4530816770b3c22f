(** * What every theorem rests on, as Coq reports it.

    build/assumptions_model.out must say "Closed under the global context": the policy, the
    lifecycle, the payload and the header theorems use no axiom at all.  build/assumptions.out
    lists what the end-to-end theorem uses: exactly the cryptographic parameters and axioms of
    Crypto.v, which formal/README.md lists and test/formal/build.test.ts compares. *)

From Formal Require Import Policy Lifecycle Payload Header Crypto.

Definition model_theorems := (
  Policy.read_only_never_sends, Policy.delivered_means_unreviewed, Policy.monitored_copies,
  Policy.weakening_needs_oversight, Policy.created_keys_are_separated, Policy.human_decision_conditions,
  Policy.sign_only_approved,
  Lifecycle.signed_only_if_authorized, Lifecycle.signed_mode_is_request_mode,
  Lifecycle.closed_messages_stay_closed, Lifecycle.one_decision,
  Lifecycle.read_only_never_sends_in_any_trace, Lifecycle.read_only_request_is_refused,
  Lifecycle.monitored_always_copies, Lifecycle.weakening_needs_oversight_in_any_trace,
  Lifecycle.approval_code_linked, Lifecycle.allowlist_grows_only_by_oversight,
  Payload.dec_ser, Payload.ser_injective, Payload.ser_ascii, Payload.payload_injective,
  Header.parse_folded, Header.serialize_injective, Header.signer_values_are_header_safe).

Redirect "build/assumptions_model" Print Assumptions model_theorems.
Redirect "build/assumptions" Print Assumptions Crypto.verified_signature_was_authorized.
