(** * Oversight policy (SPEC §4) as pure decision functions.

    Each function here answers one question the server answers at one API call, over finite
    inputs: the abstraction the code's inputs fall into.  [Table.v] enumerates every point of
    each domain and prints the answers; test/formal/policy.test.ts drives the server's own
    functions over the same points and compares.  [Lifecycle.v] composes the functions into a
    state machine and proves the issue's theorems about every trace of it. *)

From Coq Require Import Bool List Arith.
Import ListNotations.

(** ** Oversight modes and their order *)

Inductive mode := autonomous | monitored | gated_send | gated_all | read_only.

Definition all_modes := [autonomous; monitored; gated_send; gated_all; read_only].

(** The sending column of SPEC §4, from least to most strict. *)
Definition strictness (m : mode) : nat :=
  match m with autonomous => 0 | monitored => 1 | gated_send => 2 | gated_all => 3 | read_only => 4 end.

(** [stricter a b]: [a] is strictly stricter than [b] in the sending column. *)
Definition stricter (a b : mode) : bool := Nat.ltb (strictness b) (strictness a).

(** The receiving column: only [gated_all] holds inbound mail. *)
Definition holds_inbound (m : mode) : bool := match m with gated_all => true | _ => false end.

(** An agent may ask for a stricter mode on one send, never a weaker one. *)
Definition effective_mode (mailbox : mode) (requested : option mode) : mode :=
  match requested with
  | Some r => if stricter r mailbox then r else mailbox
  | None => mailbox
  end.

(** A change is a weakening when it is weaker in either column: [gated_all -> read_only] stops
    holding inbound mail although it forbids sending. *)
Definition weakening (from to : mode) : bool :=
  stricter from to || (holds_inbound from && negb (holds_inbound to)).

(** ** What happens to a send under a mode *)

Inductive send_action := refuse_read_only | hold | deliver (bcc_oversight : bool).

(** [all_allowlisted]: the send has recipients and every one of them is on the allowlist. *)
Definition decide_send (m : mode) (all_allowlisted : bool) : send_action :=
  match m with
  | read_only => refuse_read_only
  | gated_all => hold
  | gated_send => if all_allowlisted then deliver false else hold
  | monitored => deliver true
  | autonomous => deliver false
  end.

Definition unreviewed_send (m : mode) (all_allowlisted : bool) : bool :=
  match decide_send m all_allowlisted with deliver _ => true | _ => false end.

(** ** Credentials *)

Record scopes := Scopes { sc_send : bool; sc_read : bool; sc_oversight : bool; sc_admin : bool }.

Definition bools := [false; true].

Definition all_scopes : list scopes :=
  flat_map (fun s => flat_map (fun r => flat_map (fun o => map (fun a => Scopes s r o a) bools) bools) bools) bools.

Definition no_scope (s : scopes) : bool :=
  negb (sc_send s || sc_read s || sc_oversight s || sc_admin s).

(** Separation of duties: a key that sends never holds oversight, nor admin (an admin mints keys). *)
Definition separated (s : scopes) : bool := negb (sc_send s && (sc_oversight s || sc_admin s)).

(** Errors as the API reports them; [Table.v] prints each one's HTTP status and code. *)
Inductive api_error :=
| err_forbidden | err_invalid_request | err_separation_of_duties | err_not_found
| err_read_only | err_no_oversight_address | err_not_pending | err_expired.

Definition all_errors :=
  [err_forbidden; err_invalid_request; err_separation_of_duties; err_not_found;
   err_read_only; err_no_oversight_address; err_not_pending; err_expired].

Definition http_status (e : api_error) : nat :=
  match e with
  | err_forbidden | err_read_only => 403
  | err_invalid_request | err_separation_of_duties => 400
  | err_not_found => 404
  | err_no_oversight_address | err_not_pending | err_expired => 409
  end.

(** What the creator asks for as the key's agent: nothing, a name, or "*" (any agent). *)
Inductive agent_request := agent_omitted | agent_named | agent_any.

Definition all_agent_requests := [agent_omitted; agent_named; agent_any].

(** The agent a created key signs as. *)
Inductive pinning := pinned_default | pinned_named | unpinned | no_agent.

Inductive credential_outcome := credential_refused (e : api_error) | credential_created (p : pinning).

(** Creating an API key: [bound] says whether a mailbox was named. *)
Definition create_credential (s : scopes) (bound : bool) (a : agent_request) : credential_outcome :=
  if no_scope s then credential_refused err_invalid_request
  else if negb (separated s) then credential_refused err_separation_of_duties
  else if sc_send s && negb bound then credential_refused err_invalid_request
  else if sc_read s && negb (sc_oversight s) && negb (sc_admin s) && negb bound
  then credential_refused err_invalid_request
  else if negb (sc_send s) then
    match a with agent_omitted => credential_created no_agent | _ => credential_refused err_invalid_request end
  else match a with
       | agent_omitted => credential_created pinned_default
       | agent_named => credential_created pinned_named
       | agent_any => credential_created unpinned
       end.

(** ** Sending *)

(** The sending key against the mailbox sent from: not bound to any mailbox, sending from its own,
    or naming another [from]. *)
Inductive send_key := key_unbound | key_own | key_from_other.

Definition all_send_keys := [key_unbound; key_own; key_from_other].

(** The key's agent pin against the request's [agent_id]. *)
Inductive agent_case := unpinned_omitted | unpinned_named | pinned_omitted | pinned_same | pinned_other.

Definition all_agent_cases := [unpinned_omitted; unpinned_named; pinned_omitted; pinned_same; pinned_other].

(** Where the agent in the signature comes from: the server's default, the request, or the pin. *)
Inductive agent_source := agent_default | agent_requested | agent_pin.

Definition agent_of (a : agent_case) : option agent_source :=
  match a with
  | unpinned_omitted => Some agent_default
  | unpinned_named => Some agent_requested
  | pinned_omitted | pinned_same => Some agent_pin
  | pinned_other => None
  end.

(** A requested mode weaker than the mailbox's is refused, not ignored. *)
Definition weaker_request (mailbox : mode) (requested : option mode) : bool :=
  match requested with Some r => stricter mailbox r | None => false end.

Inductive send_outcome :=
| send_refused (e : api_error)
| send_held (m : mode) (a : agent_source)
| send_delivered (m : mode) (bcc_oversight : bool) (a : agent_source).

(** One send request: who asks (scopes, key, agent), the mailbox's mode and oversight address, the
    mode asked for and whether every recipient is allowlisted. *)
Definition send (s : scopes) (k : send_key) (a : agent_case) (mailbox : mode) (requested : option mode)
    (all_allowlisted has_oversight_address : bool) : send_outcome :=
  if negb (sc_send s) then send_refused err_forbidden else
  match k with
  | key_unbound => send_refused err_invalid_request
  | key_from_other => send_refused err_forbidden
  | key_own =>
      match agent_of a with
      | None => send_refused err_forbidden
      | Some src =>
          if weaker_request mailbox requested then send_refused err_forbidden else
          let m := effective_mode mailbox requested in
          match decide_send m all_allowlisted with
          | refuse_read_only => send_refused err_read_only
          | hold => send_held m src
          | deliver bcc =>
              if bcc && negb has_oversight_address then send_refused err_no_oversight_address
              else send_delivered m bcc src
          end
      end
  end.

(** ** Messages and decisions *)

Inductive direction := outbound | inbound.

Inductive status :=
| pending_approval | queued | signed | delivered | undeliverable | failed | rejected | expired | cancelled
| pending_inbound_approval | received.

(** The (direction, status) pairs a message row can be in. *)
Definition all_message_states : list (direction * status) :=
  map (fun s => (outbound, s)) [pending_approval; queued; signed; delivered; undeliverable; failed; rejected; expired; cancelled]
  ++ map (fun s => (inbound, s)) [pending_inbound_approval; received; rejected; expired].

Scheme Equality for status.

Definition pending (s : status) : bool :=
  match s with pending_approval | pending_inbound_approval => true | _ => false end.

(** A key bound to the message's mailbox, to another one, or to none. *)
Inductive binding := unbound | bound_here | bound_elsewhere.

Definition all_bindings := [unbound; bound_here; bound_elsewhere].

Inductive action := approve | reject.

Definition all_actions := [approve; reject].

(** The server's configured expiry action. *)
Inductive expiry_action := expire_reject | expire_approve.

Definition all_expiry_actions := [expire_reject; expire_approve].

(** An approval code is a human's ([apr_]) or the expiry's ([exp_]); inbound releases carry none. *)
Inductive approval_kind := no_code | human_code | expiry_code.

Inductive decided_by := by_human | by_expiry.

Definition approved_status (d : direction) : status :=
  match d with outbound => queued | inbound => received end.

Definition approval_for (d : direction) (k : approval_kind) : approval_kind :=
  match d with outbound => k | inbound => no_code end.

(** The expiry action applied to a held item: its next status and approval code. *)
Definition expire (d : direction) (ea : expiry_action) : status * approval_kind :=
  match ea with
  | expire_reject => (expired, no_code)
  | expire_approve => (approved_status d, approval_for d expiry_code)
  end.

Inductive decide_outcome :=
| decide_refused (e : api_error)
(** The decision is recorded: [answer] is [None] for a plain success, [Some err_expired] when the
    item was past its deadline and the expiry action was applied instead of the human's. *)
| decide_recorded (answer : option api_error) (next : status) (code : approval_kind) (by_ : decided_by).

(** A human's decision on one message.  [same_actor]: the deciding credential is the one that sent
    the message; [past_deadline]: the decision comes at or after [expires_at]. *)
Definition decide (s : scopes) (b : binding) (d : direction) (st : status) (act : action)
    (reason_given same_actor past_deadline : bool) (ea : expiry_action) : decide_outcome :=
  if negb (sc_oversight s) then decide_refused err_forbidden else
  match b with
  | bound_elsewhere => decide_refused err_not_found
  | _ =>
      if same_actor then decide_refused err_forbidden
      else if negb (pending st) then
        decide_refused (match st with expired => err_expired | _ => err_not_pending end)
      else if negb reason_given then decide_refused err_invalid_request
      else if past_deadline then
        let (next, code) := expire d ea in decide_recorded (Some err_expired) next code by_expiry
      else match act with
           | approve => decide_recorded None (approved_status d) (approval_for d human_code) by_human
           | reject => decide_recorded None rejected no_code by_human
           end
  end.

Inductive sweep_outcome := untouched | swept (next : status) (code : approval_kind).

(** The expiry sweep on one message: [due] means [expires_at] is set and not after now. *)
Definition sweep (d : direction) (st : status) (due : bool) (ea : expiry_action) : sweep_outcome :=
  if pending st && due then let (next, code) := expire d ea in swept next code else untouched.

(** The sending side withdraws a held message: a send key of the message's mailbox, while nobody
    has decided yet.  It is not a decision: it needs no reason and makes no approval. *)
Inductive cancel_outcome := cancel_refused (e : api_error) | cancelled_ok.

Definition cancel (s : scopes) (b : binding) (d : direction) (st : status) : cancel_outcome :=
  if negb (sc_send s) then cancel_refused err_forbidden else
  match b with
  | unbound => cancel_refused err_invalid_request
  | bound_elsewhere => cancel_refused err_not_found
  | bound_here =>
      match d with
      | inbound => cancel_refused err_not_found
      | outbound => if status_beq st pending_approval then cancelled_ok else cancel_refused err_not_pending
      end
  end.

Lemma cancel_shape : forall s b d st, cancel s b d st = cancelled_ok ->
  sc_send s = true /\ b = bound_here /\ d = outbound /\ st = pending_approval.
Proof.
  intros s b d st H. unfold cancel in H. destruct (sc_send s); [|discriminate].
  destruct b, d; try discriminate. destruct (status_beq st pending_approval) eqn:E; [|discriminate].
  apply internal_status_dec_bl in E. auto.
Qed.

(** ** Signing at delivery *)

Inductive sign_outcome :=
| not_signed
(** The identity header states the message's authorized mode and its approval code, verbatim. *)
| signs_with (m : mode) (code : approval_kind)
(** The key was retired while the message waited: it fails, and is never sent unsigned. *)
| signing_fails.

Definition sign (d : direction) (st : status) (m : mode) (code : approval_kind) (key_active : bool) : sign_outcome :=
  match d, st with
  | outbound, queued => if key_active then signs_with m code else signing_fails
  | _, _ => not_signed
  end.

(** ** Mailbox administration *)

Inductive change_outcome := change_refused (e : api_error) | changed.

(** Changing a mailbox's mode (and possibly its oversight address).  A key bound to another
    mailbox cannot touch this one; a weakening or an address change needs the oversight scope. *)
Definition change_mode (s : scopes) (b : binding) (from to : mode) (address_change : bool) : change_outcome :=
  match b with
  | bound_elsewhere => change_refused err_forbidden
  | _ =>
      if weakening from to && negb (sc_oversight s) then change_refused err_forbidden
      else if address_change && negb (sc_oversight s) then change_refused err_forbidden
      else changed
  end.

(** Adding to or removing from a mailbox's allowlist is an oversight action. *)
Definition change_allowlist (s : scopes) (b : binding) : change_outcome :=
  if negb (sc_oversight s) then change_refused err_forbidden
  else match b with bound_elsewhere => change_refused err_forbidden | _ => changed end.

(** ** Facts about the decision functions *)

Lemma stricter_irrefl : forall m, stricter m m = false.
Proof. destruct m; reflexivity. Qed.

Lemma effective_not_weaker : forall mb rq, stricter mb (effective_mode mb rq) = false.
Proof. intros mb [r|]; [destruct mb, r|destruct mb]; reflexivity. Qed.

(** What any answer but a refusal implies: the checks a send passes, in order. *)
Lemma send_inv : forall s k a mb rq al addr o,
  send s k a mb rq al addr = o -> (forall e, o <> send_refused e) ->
  sc_send s = true /\ k = key_own /\ weaker_request mb rq = false /\
  exists src, agent_of a = Some src /\
    match decide_send (effective_mode mb rq) al with
    | refuse_read_only => False
    | hold => o = send_held (effective_mode mb rq) src
    | deliver bcc => bcc && negb addr = false /\ o = send_delivered (effective_mode mb rq) bcc src
    end.
Proof.
  intros s k a mb rq al addr o H Nr. unfold send in H.
  destruct (sc_send s); [|subst; destruct (Nr _ eq_refl)].
  destruct k; try (subst; destruct (Nr _ eq_refl)).
  destruct (agent_of a) as [src|]; [|subst; destruct (Nr _ eq_refl)].
  destruct (weaker_request mb rq); [subst; destruct (Nr _ eq_refl)|].
  repeat split; auto. exists src. split; [reflexivity|].
  destruct (decide_send (effective_mode mb rq) al); [subst; destruct (Nr _ eq_refl) | auto |].
  destruct (bcc_oversight && negb addr); [subst; destruct (Nr _ eq_refl) | auto].
Qed.

Lemma effective_read_only : forall rq, effective_mode read_only rq = read_only.
Proof. intros [[]|]; reflexivity. Qed.

(** [read_only] never sends, whatever is asked. *)
Theorem read_only_never_sends : forall s k a rq al addr,
  match send s k a read_only rq al addr with send_refused _ => True | _ => False end.
Proof.
  intros s k a rq al addr.
  destruct (send s k a read_only rq al addr) eqn:H; [exact I| |];
    (destruct (send_inv _ _ _ _ _ _ _ _ H ltac:(discriminate)) as (_ & _ & _ & src & _ & D);
     rewrite effective_read_only in D; exact D).
Qed.

(** A send goes out without review only when its effective mode allows it. *)
Theorem delivered_means_unreviewed : forall s k a mb rq al addr m bcc src,
  send s k a mb rq al addr = send_delivered m bcc src ->
  m = effective_mode mb rq /\ unreviewed_send m al = true /\ stricter mb m = false.
Proof.
  intros s k a mb rq al addr m bcc src H.
  destruct (send_inv _ _ _ _ _ _ _ _ H ltac:(discriminate)) as (_ & _ & _ & src' & _ & D).
  destruct (decide_send (effective_mode mb rq) al) eqn:Ds; [contradiction | discriminate D |].
  destruct D as [_ D]. inversion D; subst. split; [reflexivity|]. split.
  - unfold unreviewed_send. rewrite Ds. reflexivity.
  - apply effective_not_weaker.
Qed.

(** [monitored] always copies the oversight address, and is refused when there is none. *)
Theorem monitored_copies : forall s k a mb rq al addr m bcc src,
  send s k a mb rq al addr = send_delivered m bcc src -> m = monitored -> bcc = true /\ addr = true.
Proof.
  intros s k a mb rq al addr m bcc src H Hm.
  destruct (send_inv _ _ _ _ _ _ _ _ H ltac:(discriminate)) as (_ & _ & _ & src' & _ & D).
  destruct (decide_send (effective_mode mb rq) al) eqn:Ds; [contradiction | discriminate D |].
  destruct D as [B D]. injection D as Em Eb Es. rewrite <- Em, Hm in Ds. simpl in Ds.
  injection Ds as Eb'. rewrite <- Eb' in B. rewrite Eb, <- Eb'. split; [reflexivity|].
  destruct addr; [reflexivity | discriminate].
Qed.

Theorem held_under_its_effective_mode : forall s k a mb rq al addr m src,
  send s k a mb rq al addr = send_held m src ->
  m = effective_mode mb rq /\ unreviewed_send m al = false.
Proof.
  intros s k a mb rq al addr m src H.
  destruct (send_inv _ _ _ _ _ _ _ _ H ltac:(discriminate)) as (_ & _ & _ & src' & _ & D).
  destruct (decide_send (effective_mode mb rq) al) eqn:Ds; [contradiction | | discriminate (proj2 D)].
  inversion D; subst. split; [reflexivity|]. unfold unreviewed_send. rewrite Ds. reflexivity.
Qed.

(** Only a key with the send scope, sending from its own mailbox as its own agent, sends. *)
Theorem send_needs_send_scope : forall s k a mb rq al addr,
  match send s k a mb rq al addr with
  | send_refused _ => True
  | _ => sc_send s = true /\ k = key_own /\ agent_of a <> None
  end.
Proof.
  intros s k a mb rq al addr.
  destruct (send s k a mb rq al addr) eqn:H; [exact I| |];
    (destruct (send_inv _ _ _ _ _ _ _ _ H ltac:(discriminate)) as (Ss & Ko & _ & src' & A & _);
     split; [exact Ss | split; [exact Ko | rewrite A; discriminate]]).
Qed.

(** Weakening a mode needs the oversight scope, so for any key the API can create (separated),
    never a send key. *)
Theorem weakening_needs_oversight : forall s b from to a,
  change_mode s b from to a = changed -> weakening from to = true ->
  sc_oversight s = true /\ (separated s = true -> sc_send s = false).
Proof.
  intros s b from to a H W. unfold change_mode in H. rewrite W in H.
  destruct b; try discriminate;
    destruct (sc_oversight s) eqn:O; simpl in H; try discriminate;
    split; auto; unfold separated; rewrite O; destruct (sc_send s); simpl; auto; discriminate.
Qed.

(** Every key the API creates is separated, and a send key is bound and pinned unless "*" was
    asked for. *)
Theorem created_keys_are_separated : forall s bound a p,
  create_credential s bound a = credential_created p ->
  separated s = true /\ no_scope s = false /\ (sc_send s = true -> bound = true) /\
  (sc_send s = true -> p = unpinned -> a = agent_any).
Proof.
  intros s bound a p H. unfold create_credential in H.
  destruct (no_scope s) eqn:N; try discriminate.
  destruct (separated s) eqn:Sep; try discriminate.
  destruct (sc_send s) eqn:Snd, bound; simpl in H; try discriminate;
    destruct (sc_read s), (sc_oversight s), (sc_admin s); simpl in H; try discriminate;
    destruct a; inversion H; repeat split; auto; discriminate.
Qed.

(** A human approval is recorded only for a pending item, before its deadline, by a credential
    with the oversight scope that did not send it, with a reason. *)
Theorem human_decision_conditions : forall s b d st act reason same past ea answer next code,
  decide s b d st act reason same past ea = decide_recorded answer next code by_human ->
  sc_oversight s = true /\ b <> bound_elsewhere /\ same = false /\ pending st = true /\
  reason = true /\ past = false /\ answer = None.
Proof.
  intros s b d st act reason same past ea answer next code H. unfold decide in H.
  destruct (sc_oversight s); simpl in H; try discriminate.
  destruct b; try discriminate;
    destruct same; try discriminate; destruct (pending st) eqn:P; simpl in H; try discriminate;
    destruct reason; simpl in H; try discriminate; destruct past;
    try (destruct (expire d ea); discriminate);
    destruct act; inversion H; repeat split; auto; discriminate.
Qed.

(** Nothing but a pending item is ever decided, by a human or by expiry. *)
Theorem decisions_only_on_pending : forall s b d st act reason same past ea answer next code by_,
  decide s b d st act reason same past ea = decide_recorded answer next code by_ -> pending st = true.
Proof.
  intros s b d st act reason same past ea answer next code by_ H. unfold decide in H.
  destruct (sc_oversight s); simpl in H; try discriminate.
  destruct b; try discriminate; destruct same; try discriminate;
    destruct (pending st); simpl in H; auto; discriminate.
Qed.

Theorem sweep_only_on_pending : forall d st due ea next code,
  sweep d st due ea = swept next code -> pending st = true /\ due = true.
Proof.
  intros d st due ea next code H. unfold sweep in H.
  destruct (pending st), due; simpl in H; try discriminate; auto.
Qed.

(** Only an approved outbound message is signed, and it is signed with its own mode and code. *)
Theorem sign_only_approved : forall d st m code k m' code',
  sign d st m code k = signs_with m' code' -> d = outbound /\ st = queued /\ m' = m /\ code' = code /\ k = true.
Proof.
  intros d st m code k m' code' H. destruct d, st; try discriminate; destruct k; inversion H; auto.
Qed.

(** ** Shapes of the outcomes, as [Lifecycle] uses them *)

Lemma send_held_shape : forall s k a mb rq al addr m src,
  send s k a mb rq al addr = send_held m src -> (m = gated_send \/ m = gated_all) /\ stricter mb m = false.
Proof.
  intros s k a mb rq al addr m src H.
  destruct (send_inv _ _ _ _ _ _ _ _ H ltac:(discriminate)) as (_ & _ & _ & src' & _ & D).
  destruct (decide_send (effective_mode mb rq) al) eqn:Ds; [contradiction | | discriminate (proj2 D)].
  inversion D; subst. split; [|apply effective_not_weaker].
  destruct (effective_mode mb rq), al; simpl in Ds; try discriminate; auto.
Qed.

Lemma send_delivered_shape : forall s k a mb rq al addr m bcc src,
  send s k a mb rq al addr = send_delivered m bcc src ->
  m <> read_only /\ (m = monitored -> bcc = true) /\ sc_send s = true /\ k = key_own /\ agent_of a = Some src.
Proof.
  intros s k a mb rq al addr m bcc src H.
  destruct (send_inv _ _ _ _ _ _ _ _ H ltac:(discriminate)) as (Ss & Ko & _ & src' & A & D).
  destruct (decide_send (effective_mode mb rq) al) eqn:Ds; [contradiction | discriminate D |].
  destruct D as [_ D]. inversion D; subst.
  repeat split; auto.
  - intros X. rewrite X in Ds. discriminate.
  - intros X. rewrite X in Ds. inversion Ds. reflexivity.
Qed.

Lemma send_held_sender : forall s k a mb rq al addr m src,
  send s k a mb rq al addr = send_held m src -> sc_send s = true /\ k = key_own /\ agent_of a = Some src.
Proof.
  intros s k a mb rq al addr m src H.
  destruct (send_inv _ _ _ _ _ _ _ _ H ltac:(discriminate)) as (Ss & Ko & _ & src' & A & D).
  destruct (decide_send (effective_mode mb rq) al); [contradiction | | discriminate (proj2 D)].
  inversion D; subst. auto.
Qed.

Definition code_of (b : decided_by) : approval_kind :=
  match b with by_human => human_code | by_expiry => expiry_code end.

Lemma expire_shape : forall d ea next code,
  expire d ea = (next, code) ->
  (ea = expire_reject /\ next = expired /\ code = no_code) \/
  (ea = expire_approve /\ next = approved_status d /\ code = approval_for d expiry_code).
Proof. intros d ea next code H; destruct ea; inversion H; auto. Qed.

Lemma decide_shape : forall s b d st act reason same past ea answer next code by_,
  decide s b d st act reason same past ea = decide_recorded answer next code by_ ->
  pending st = true /\ sc_oversight s = true /\ same = false /\ reason = true /\
  match by_ with
  | by_human => past = false /\
      ((act = approve /\ next = approved_status d /\ code = approval_for d human_code) \/
       (act = reject /\ next = rejected /\ code = no_code))
  | by_expiry => past = true /\ expire d ea = (next, code)
  end.
Proof.
  intros s b d st act reason same past ea answer next code by_ H. unfold decide in H.
  destruct (sc_oversight s); simpl in H; try discriminate.
  destruct b; try discriminate; destruct same; try discriminate;
    destruct (pending st); simpl in H; try discriminate;
    destruct reason; simpl in H; try discriminate;
    destruct past;
    [ destruct (expire d ea) as [n c] eqn:X; inversion H; subst; repeat split; auto
    | destruct act; inversion H; subst; repeat split; auto
    | destruct (expire d ea) as [n c] eqn:X; inversion H; subst; repeat split; auto
    | destruct act; inversion H; subst; repeat split; auto ].
Qed.

Lemma sweep_shape : forall d st due ea next code,
  sweep d st due ea = swept next code -> pending st = true /\ due = true /\ expire d ea = (next, code).
Proof.
  intros d st due ea next code H. unfold sweep in H.
  destruct (pending st), due; simpl in H; try discriminate.
  destruct (expire d ea) eqn:X; inversion H; subst; auto.
Qed.

Lemma sign_only_approved_fails : forall d st m code k,
  sign d st m code k = signing_fails -> d = outbound /\ st = queued.
Proof. intros d st m code k H. destruct d, st; try discriminate; auto. Qed.
