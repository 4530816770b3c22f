(** * The model's decision tables, computed by Coq and printed for the tie to the code.

    Each table is every point of one decision function's finite domain with the model's answer.
    Rows are printed as constructor applications (positional; the column names are printed with
    them) because Coq prints those far faster than tuples or strings.  formal/table.mjs turns the
    printed terms into build/decision-table.json; test/formal/policy.test.ts drives the server's
    real functions over every row. *)

From Coq Require Import List String.
From Formal Require Import Policy.
Import ListNotations.
Open Scope string_scope.

Unset Printing Records.
Set Printing Width 200.

Definition opt_modes : list (option mode) := None :: map Some all_modes.

(** ** Rows *)

Inductive credential_row := row_credential (s : scopes) (bound : bool) (a : agent_request) (o : credential_outcome).
Inductive send_row := row_send (s : scopes) (k : send_key) (a : agent_case) (mailbox : mode) (requested : option mode)
  (all_allowlisted oversight_address : bool) (o : send_outcome).
Inductive decide_row := row_decide (s : scopes) (b : binding) (d : direction) (st : status) (act : action)
  (reason_given same_actor past_deadline : bool) (ea : expiry_action) (o : decide_outcome).
Inductive sweep_row := row_sweep (d : direction) (st : status) (due : bool) (ea : expiry_action) (o : sweep_outcome).
Inductive sign_row := row_sign (d : direction) (st : status) (m : mode) (code : approval_kind) (key_active : bool) (o : sign_outcome).
Inductive cancel_row := row_cancel (s : scopes) (b : binding) (d : direction) (st : status) (o : cancel_outcome).
Inductive change_row := row_change (s : scopes) (b : binding) (from to : mode) (address_change : bool) (o : change_outcome).
Inductive allowlist_row := row_allowlist (s : scopes) (b : binding) (o : change_outcome).
Inductive mode_row := row_mode (m : mode) (holds : bool) (send_unlisted send_listed : send_action).
Inductive mode_pair_row := row_mode_pair (from to : mode) (stricter_ weakening_ : bool).
Inductive request_row := row_request (mailbox : mode) (requested : option mode) (refused : bool) (effective : mode).
Inductive error_row := row_error (e : api_error) (status : nat) (code : string).

(** ** Domains: every point *)

Definition credential_table :=
  flat_map (fun s => flat_map (fun b => map (fun a => row_credential s b a (create_credential s b a))
    all_agent_requests) bools) all_scopes.

Definition send_table :=
  flat_map (fun s => flat_map (fun k => flat_map (fun a => flat_map (fun mb => flat_map (fun rq =>
    flat_map (fun al => map (fun addr => row_send s k a mb rq al addr (send s k a mb rq al addr))
    bools) bools) opt_modes) all_modes) all_agent_cases) all_send_keys) all_scopes.

(** Inbound mail has no sending credential, so [same_actor] is only ever false for it. *)
Definition same_actor_cases (d : direction) := match d with outbound => bools | inbound => [false] end.

Definition decide_table :=
  flat_map (fun s => flat_map (fun b => flat_map (fun (ds : direction * status) => let (d, st) := ds in
    flat_map (fun act => flat_map (fun r => flat_map (fun same => flat_map (fun past => map (fun ea =>
      row_decide s b d st act r same past ea (decide s b d st act r same past ea))
    all_expiry_actions) bools) (same_actor_cases d)) bools) all_actions) all_message_states) all_bindings) all_scopes.

Definition sweep_table :=
  flat_map (fun (ds : direction * status) => let (d, st) := ds in flat_map (fun due => map (fun ea =>
    row_sweep d st due ea (sweep d st due ea)) all_expiry_actions) bools) all_message_states.

Definition sign_table :=
  flat_map (fun (ds : direction * status) => let (d, st) := ds in flat_map (fun m => flat_map (fun c => map (fun k =>
    row_sign d st m c k (sign d st m c k)) bools) [no_code; human_code; expiry_code]) all_modes) all_message_states.

Definition cancel_table :=
  flat_map (fun s => flat_map (fun b => map (fun (ds : direction * status) => let (d, st) := ds in
    row_cancel s b d st (cancel s b d st)) all_message_states) all_bindings) all_scopes.

Definition change_table :=
  flat_map (fun s => flat_map (fun b => flat_map (fun f => flat_map (fun t => map (fun a =>
    row_change s b f t a (change_mode s b f t a)) bools) all_modes) all_modes) all_bindings) all_scopes.

Definition allowlist_table :=
  flat_map (fun s => map (fun b => row_allowlist s b (change_allowlist s b)) all_bindings) all_scopes.

Definition mode_table :=
  map (fun m => row_mode m (holds_inbound m) (decide_send m false) (decide_send m true)) all_modes.

Definition mode_pair_table :=
  flat_map (fun f => map (fun t => row_mode_pair f t (stricter f t) (weakening f t)) all_modes) all_modes.

Definition request_table :=
  flat_map (fun mb => map (fun rq => row_request mb rq (weaker_request mb rq) (effective_mode mb rq)) opt_modes) all_modes.

Definition error_name (e : api_error) : string :=
  match e with
  | err_forbidden => "forbidden" | err_invalid_request => "invalid_request"
  | err_separation_of_duties => "separation_of_duties" | err_not_found => "not_found"
  | err_read_only => "read_only" | err_no_oversight_address => "no_oversight_address"
  | err_not_pending => "not_pending" | err_expired => "expired"
  end.

Definition error_table := map (fun e => row_error e (http_status e) (error_name e)) all_errors.

(** The column names, in the order of each row constructor's arguments. *)
Definition columns : list (string * list string) := [
  ("credential", ["scopes"; "bound"; "agent"; "outcome"]);
  ("send", ["scopes"; "key"; "agent"; "mailbox_mode"; "requested_mode"; "all_allowlisted"; "oversight_address"; "outcome"]);
  ("decide", ["scopes"; "binding"; "direction"; "status"; "action"; "reason_given"; "same_actor"; "past_deadline"; "expiry_action"; "outcome"]);
  ("sweep", ["direction"; "status"; "due"; "expiry_action"; "outcome"]);
  ("sign", ["direction"; "status"; "mode"; "approval"; "key_active"; "outcome"]);
  ("cancel", ["scopes"; "binding"; "direction"; "status"; "outcome"]);
  ("change_mode", ["scopes"; "binding"; "from"; "to"; "address_change"; "outcome"]);
  ("allowlist", ["scopes"; "binding"; "outcome"]);
  ("mode", ["mode"; "holds_inbound"; "send_unlisted"; "send_listed"]);
  ("mode_pair", ["from"; "to"; "stricter"; "weakening"]);
  ("request", ["mailbox_mode"; "requested_mode"; "refused"; "effective_mode"]);
  ("error", ["error"; "status"; "code"])
].

(** The fields of [scopes], in order, as the API names them. *)
Definition scope_fields : list string := ["send"; "read"; "oversight"; "admin"].

Redirect "build/columns" Eval vm_compute in columns.
Redirect "build/scope_fields" Eval vm_compute in scope_fields.
Redirect "build/credential" Eval vm_compute in credential_table.
Redirect "build/send" Eval vm_compute in send_table.
Redirect "build/decide" Eval vm_compute in decide_table.
Redirect "build/sweep" Eval vm_compute in sweep_table.
Redirect "build/sign" Eval vm_compute in sign_table.
Redirect "build/cancel" Eval vm_compute in cancel_table.
Redirect "build/change_mode" Eval vm_compute in change_table.
Redirect "build/allowlist" Eval vm_compute in allowlist_table.
Redirect "build/mode" Eval vm_compute in mode_table.
Redirect "build/mode_pair" Eval vm_compute in mode_pair_table.
Redirect "build/request" Eval vm_compute in request_table.
Redirect "build/error" Eval vm_compute in error_table.
