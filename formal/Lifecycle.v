(** * Messages over time: the decision functions of [Policy] composed into a state machine.

    A world is one mailbox (its mode, oversight address and allowlist), a clock, the counter that
    makes approval codes fresh, and every message by id.  Each event is one API call or one step
    of a background sweep, applied atomically: this is where the database's transactions are
    assumed (each call's reads and writes commit as one serializable transaction), see
    docs/formal-model.md.  Theorems quantify over every trace of events from the initial world. *)

From Coq Require Import Bool List Arith Lia.
From Formal Require Import Policy.
Import ListNotations.

Record principal := Principal {
  p_id : nat;               (** the credential; its actor is [credential:<id>] *)
  p_scopes : scopes;
  p_binding : binding;      (** relative to the one mailbox of the model *)
  p_pin : option nat        (** the agent a send key is pinned to *)
}.

(** What the identity signature states about the send (the rest of its fields is context). *)
Record signed_fields := Signed {
  sf_agent : nat;
  sf_mode : mode;
  sf_approval : option (approval_kind * nat)
}.

Record decision := Decision {
  d_by : decided_by;
  d_actor : option nat;     (** the deciding credential, for a human decision *)
  d_approved : bool;
  d_at : nat
}.

Record message := Message {
  m_dir : direction;
  m_status : status;
  m_mode : mode;            (** the mode the send was authorized under (effective at the request) *)
  m_sender : option nat;    (** the sending credential; none for inbound mail *)
  m_agent : nat;
  m_bcc : bool;             (** the oversight address is among the envelope recipients *)
  m_expires : option nat;   (** set exactly when the item was held *)
  m_approval : option (approval_kind * nat);
  m_decision : option decision;
  m_sig : option signed_fields
}.

Record world := World {
  w_mode : mode;
  w_address : bool;         (** the mailbox has an oversight address *)
  w_allowlist : list nat;
  w_clock : nat;
  w_next : nat;             (** approval codes are drawn fresh from here *)
  w_msgs : nat -> option message
}.

Inductive event :=
| e_request (i : nat) (p : principal) (from_own : bool) (agent : option nat) (requested : option mode) (rcpts : list nat)
| e_inbound (i : nat)
| e_decide (i : nat) (p : principal) (act : action) (reason_given : bool)
| e_expire (i : nat)
| e_tick
| e_sign (i : nat) (key_active : bool)
| e_deliver (i : nat) (ok : bool)
| e_cancel (i : nat) (p : principal)
| e_change_mode (p : principal) (to : mode) (set_address : bool)
| e_allowlist (p : principal) (r : nat) (add : bool).

Section Machine.

(** The server's configuration: how long an item is held, what expiry does, the default agent. *)
Variable ttl : nat.
Variable ea : expiry_action.
Variable default_agent : nat.
Variable initial_mode : mode.

(** ** From concrete requests to the abstract inputs of [Policy] *)

Definition send_key_of (p : principal) (from_own : bool) : send_key :=
  match p_binding p with
  | unbound => key_unbound
  | bound_here => if from_own then key_own else key_from_other
  | bound_elsewhere => key_from_other
  end.

Definition agent_case_of (p : principal) (req : option nat) : agent_case :=
  match p_pin p, req with
  | None, None => unpinned_omitted
  | None, Some _ => unpinned_named
  | Some _, None => pinned_omitted
  | Some x, Some y => if Nat.eqb x y then pinned_same else pinned_other
  end.

Definition agent_value (p : principal) (req : option nat) (src : agent_source) : nat :=
  match src with
  | agent_default => default_agent
  | agent_requested => match req with Some y => y | None => default_agent end
  | agent_pin => match p_pin p with Some x => x | None => default_agent end
  end.

Definition all_allowlisted (allow rcpts : list nat) : bool :=
  match rcpts with
  | [] => false
  | _ => forallb (fun r => existsb (Nat.eqb r) allow) rcpts
  end.

Definition same_actor (m : message) (p : principal) : bool :=
  match m_sender m with Some s => Nat.eqb s (p_id p) | None => false end.

Definition past_deadline (w : world) (m : message) : bool :=
  match m_expires m with Some t => Nat.leb t (w_clock w) | None => false end.

Definition approval_kind_of (m : message) : approval_kind :=
  match m_approval m with Some (k, _) => k | None => no_code end.

(** ** Updating the world *)

Definition upd (f : nat -> option message) (i : nat) (v : message) : nat -> option message :=
  fun j => if Nat.eqb j i then Some v else f j.

Definition put (w : world) (i : nat) (v : message) : world :=
  World (w_mode w) (w_address w) (w_allowlist w) (w_clock w) (w_next w) (upd (w_msgs w) i v).

Definition with_status (m : message) (s : status) : message :=
  Message (m_dir m) s (m_mode m) (m_sender m) (m_agent m) (m_bcc m) (m_expires m) (m_approval m) (m_decision m) (m_sig m).

(** The message as a decision leaves it: next status, an approval code drawn fresh when one is
    due, who decided and when. *)
Definition recorded_msg (w : world) (m : message) (next : status) (code : approval_kind)
    (by_ : decided_by) (actor : option nat) : message :=
  Message (m_dir m) next (m_mode m) (m_sender m) (m_agent m) (m_bcc m) (m_expires m)
    (match code with no_code => m_approval m | k => Some (k, w_next w) end)
    (Some (Decision by_ actor (negb (status_beq next rejected) && negb (status_beq next expired)) (w_clock w)))
    (m_sig m).

Definition record (w : world) (i : nat) (m : message) (next : status) (code : approval_kind)
    (by_ : decided_by) (actor : option nat) : world :=
  World (w_mode w) (w_address w) (w_allowlist w) (w_clock w)
    (match code with no_code => w_next w | _ => S (w_next w) end)
    (upd (w_msgs w) i (recorded_msg w m next code by_ actor)).

Definition request (w : world) (i : nat) (p : principal) (fo : bool) (ag : option nat) (rq : option mode) (rc : list nat) : world :=
  match w_msgs w i with
  | Some _ => w
  | None =>
      match send (p_scopes p) (send_key_of p fo) (agent_case_of p ag) (w_mode w) rq
                 (all_allowlisted (w_allowlist w) rc) (w_address w) with
      | send_refused _ => w
      | send_held m src =>
          put w i (Message outbound pending_approval m (Some (p_id p)) (agent_value p ag src) false
                     (Some (w_clock w + ttl)) None None None)
      | send_delivered m bcc src =>
          let a := agent_value p ag src in
          put w i (Message outbound signed m (Some (p_id p)) a bcc None None None (Some (Signed a m None)))
      end
  end.

Definition step (w : world) (e : event) : world :=
  match e with
  | e_request i p fo ag rq rc => request w i p fo ag rq rc
  | e_inbound i =>
      match w_msgs w i with
      | Some _ => w
      | None =>
          let held := holds_inbound (w_mode w) in
          put w i (Message inbound (if held then pending_inbound_approval else received) (w_mode w) None default_agent
                     false (if held then Some (w_clock w + ttl) else None) None None None)
      end
  | e_decide i p act reason =>
      match w_msgs w i with
      | None => w
      | Some m =>
          match decide (p_scopes p) (p_binding p) (m_dir m) (m_status m) act reason (same_actor m p) (past_deadline w m) ea with
          | decide_refused _ => w
          | decide_recorded _ next code by_human => record w i m next code by_human (Some (p_id p))
          | decide_recorded _ next code by_expiry => record w i m next code by_expiry None
          end
      end
  | e_expire i =>
      match w_msgs w i with
      | None => w
      | Some m =>
          match sweep (m_dir m) (m_status m) (past_deadline w m) ea with
          | untouched => w
          | swept next code => record w i m next code by_expiry None
          end
      end
  | e_tick => World (w_mode w) (w_address w) (w_allowlist w) (S (w_clock w)) (w_next w) (w_msgs w)
  | e_sign i key_active =>
      match w_msgs w i with
      | None => w
      | Some m =>
          match sign (m_dir m) (m_status m) (m_mode m) (approval_kind_of m) key_active with
          | not_signed => w
          | signs_with md _ =>
              put w i (Message (m_dir m) signed (m_mode m) (m_sender m) (m_agent m) (m_bcc m) (m_expires m)
                         (m_approval m) (m_decision m) (Some (Signed (m_agent m) md (m_approval m))))
          | signing_fails => put w i (with_status m failed)
          end
      end
  | e_deliver i ok =>
      match w_msgs w i with
      | Some m => if status_beq (m_status m) signed then put w i (with_status m (if ok then delivered else undeliverable)) else w
      | None => w
      end
  | e_cancel i p =>
      match w_msgs w i with
      | Some m =>
          match cancel (p_scopes p) (p_binding p) (m_dir m) (m_status m) with
          | cancelled_ok => put w i (with_status m cancelled)
          | cancel_refused _ => w
          end
      | None => w
      end
  | e_change_mode p to addr =>
      match change_mode (p_scopes p) (p_binding p) (w_mode w) to addr with
      | changed => World to (w_address w || addr) (w_allowlist w) (w_clock w) (w_next w) (w_msgs w)
      | change_refused _ => w
      end
  | e_allowlist p r add =>
      match change_allowlist (p_scopes p) (p_binding p) with
      | changed =>
          World (w_mode w) (w_address w) (if add then r :: w_allowlist w else filter (fun x => negb (Nat.eqb x r)) (w_allowlist w))
            (w_clock w) (w_next w) (w_msgs w)
      | change_refused _ => w
      end
  end.

Definition init : world := World initial_mode false [] 0 0 (fun _ => None).

Definition run (tr : list event) : world := fold_left step tr init.

Lemma run_snoc : forall tr e, run (tr ++ [e]) = step (run tr) e.
Proof. intros. unfold run. rewrite fold_left_app. reflexivity. Qed.

(** ** Invariants of every reachable world *)

Lemma upd_eq : forall f i v, upd f i v i = Some v.
Proof. intros. unfold upd. rewrite Nat.eqb_refl. reflexivity. Qed.

Lemma upd_neq : forall f i v j, j <> i -> upd f i v j = f j.
Proof. intros. unfold upd. apply Nat.eqb_neq in H. rewrite H. reflexivity. Qed.

Definition terminal (s : status) : bool :=
  match s with rejected | expired | cancelled => true | _ => false end.

(** What holds of each message, [next] being the world's approval counter. *)
Definition local_inv (next : nat) (m : message) : Prop :=
  (m_sig m = None \/ m_sig m = Some (Signed (m_agent m) (m_mode m) (m_approval m))) /\
  (m_dir m = inbound -> m_sig m = None /\ m_approval m = None /\ m_sender m = None) /\
  (m_dir m = outbound -> m_mode m <> read_only /\ m_sender m <> None /\ (m_mode m = monitored -> m_bcc m = true)) /\
  (pending (m_status m) = true -> m_approval m = None /\ m_decision m = None /\ m_sig m = None /\ m_expires m <> None) /\
  (m_dir m = outbound -> pending (m_status m) = true -> m_status m = pending_approval) /\
  (terminal (m_status m) = true -> m_sig m = None) /\
  (m_status m = queued -> m_dir m = outbound /\ m_approval m <> None /\ m_sig m = None) /\
  (forall k n, m_approval m = Some (k, n) -> n < next /\ k <> no_code) /\
  (m_dir m = outbound -> m_approval m = None -> m_sig m <> None -> m_expires m = None) /\
  (m_expires m = None -> m_approval m = None /\ m_decision m = None).

Definition codes_unique (w : world) : Prop :=
  forall i j mi mj c, i <> j -> w_msgs w i = Some mi -> w_msgs w j = Some mj ->
    m_approval mi = Some c -> m_approval mj <> Some c.

Definition Inv (w : world) : Prop :=
  (forall i m, w_msgs w i = Some m -> local_inv (w_next w) m) /\ codes_unique w.

Lemma local_inv_mono : forall n n' m, n <= n' -> local_inv n m -> local_inv n' m.
Proof.
  intros n n' m Le (S1 & S2 & S3 & S4 & S5 & S6 & S7 & S8 & S9 & S10).
  unfold local_inv. do 7 (split; [assumption|]). split; [|split; assumption].
  intros k n0 Hk; destruct (S8 k n0 Hk); split; auto; lia.
Qed.

Lemma inv_init : Inv init.
Proof. split; [intros i m H; discriminate | intros i j mi mj c _ H; discriminate]. Qed.

Lemma put_inv : forall w i v,
  Inv w -> local_inv (w_next w) v ->
  (forall j mj c, j <> i -> w_msgs w j = Some mj -> m_approval v = Some c -> m_approval mj <> Some c) ->
  Inv (put w i v).
Proof.
  intros w i v [L U] Lv Fresh. split.
  - intros j m H. simpl in H. destruct (Nat.eq_dec j i) as [->|Ne].
    + rewrite upd_eq in H. inversion H; subst; exact Lv.
    + rewrite upd_neq in H by exact Ne. exact (L j m H).
  - intros a b ma mb c Ne Ha Hb Ca Cb. simpl in Ha, Hb.
    destruct (Nat.eq_dec a i) as [->|Na]; destruct (Nat.eq_dec b i) as [->|Nb]; try congruence.
    + rewrite upd_eq in Ha. rewrite upd_neq in Hb by exact Nb. inversion Ha; subst.
      exact (Fresh b mb c Nb Hb Ca Cb).
    + rewrite upd_eq in Hb. rewrite upd_neq in Ha by exact Na. inversion Hb; subst.
      exact (Fresh a ma c Na Ha Cb Ca).
    + rewrite upd_neq in Ha by exact Na. rewrite upd_neq in Hb by exact Nb.
      exact (U a b ma mb c Ne Ha Hb Ca Cb).
Qed.

(** A fresh approval code: every code already issued is below the counter. *)
Lemma fresh_inv : forall w i v k,
  Inv w -> m_approval v = Some (k, w_next w) -> local_inv (S (w_next w)) v ->
  Inv (World (w_mode w) (w_address w) (w_allowlist w) (w_clock w) (S (w_next w)) (upd (w_msgs w) i v)).
Proof.
  intros w i v k [L U] Cv Lv.
  assert (Old : forall j mj k' n, w_msgs w j = Some mj -> m_approval mj = Some (k', n) -> n < w_next w).
  { intros j mj k' n Hj Cj. destruct (L j mj Hj) as (_ & _ & _ & _ & _ & _ & _ & B & _).
    exact (proj1 (B k' n Cj)). }
  split.
  - intros j m H. simpl in H. destruct (Nat.eq_dec j i) as [->|Ne].
    + rewrite upd_eq in H. inversion H; subst; exact Lv.
    + rewrite upd_neq in H by exact Ne.
      simpl; apply local_inv_mono with (w_next w); [lia | exact (L j m H)].
  - intros a b ma mb c Ne Ha Hb Ca Cb. simpl in Ha, Hb.
    destruct (Nat.eq_dec a i) as [->|Na]; destruct (Nat.eq_dec b i) as [->|Nb]; try congruence.
    + rewrite upd_eq in Ha. rewrite upd_neq in Hb by exact Nb. inversion Ha; subst.
      rewrite Cv in Ca. inversion Ca; subst c. pose proof (Old b mb k (w_next w) Hb Cb). lia.
    + rewrite upd_eq in Hb. rewrite upd_neq in Ha by exact Na. inversion Hb; subst.
      rewrite Cv in Cb. inversion Cb; subst c. pose proof (Old a ma k (w_next w) Ha Ca). lia.
    + rewrite upd_neq in Ha by exact Na. rewrite upd_neq in Hb by exact Nb.
      exact (U a b ma mb c Ne Ha Hb Ca Cb).
Qed.

Lemma same_msgs_inv : forall w w', Inv w -> w_msgs w' = w_msgs w -> w_next w' = w_next w -> Inv w'.
Proof.
  intros w w' [L U] M N. split.
  - intros i m H. rewrite M in H. rewrite N. exact (L i m H).
  - intros a b ma mb c Ne Ha Hb. rewrite M in Ha, Hb. exact (U a b ma mb c Ne Ha Hb).
Qed.

Ltac finish_local :=
  first
  [ reflexivity | assumption | congruence | discriminate | lia
  | match goal with
    | H : pending ?x = false, H' : pending ?x = true |- _ => rewrite H in H'; discriminate
    | H : ?a = ?b -> _, H' : ?a = ?b |- _ => destruct (H H'); congruence
    end ].

Lemma record_inv : forall w i m next code by_ actor,
  Inv w -> w_msgs w i = Some m -> pending (m_status m) = true ->
  pending next = false ->
  (next = queued -> m_dir m = outbound /\ code <> no_code) ->
  (m_dir m = inbound -> code = no_code) ->
  Inv (record w i m next code by_ actor).
Proof.
  intros w i m next code by_ actor I Hm P Np Q In.
  destruct I as [L U]. pose proof (L i m Hm) as Lm.
  destruct Lm as (S1 & S2 & S3 & S4 & S5 & S6 & S7 & S8 & S9 & S10).
  destruct (S4 P) as (A0 & D0 & G0 & E0).
  unfold record. destruct code as [ | | ] eqn:Code.
  - apply put_inv; [split; auto | | ].
    + unfold local_inv; simpl; rewrite A0, G0. split; [left; reflexivity|].
      split; [intros Hd; destruct (S2 Hd) as (_ & _ & X); auto|].
      split; [exact S3|]. split; [intros Hp; rewrite Np in Hp; discriminate|].
      split; [intros _ Hp; rewrite Np in Hp; discriminate|]. split; [auto|].
      split; [intros Hq; destruct (Q Hq) as [_ X]; exfalso; congruence|].
      split; [intros k n Hk; discriminate|]. split; [intros _ _ X; congruence|].
      intros He; congruence.
    + intros j mj c _ _ C. simpl in C. rewrite A0 in C. discriminate.
  - apply fresh_inv with (k := human_code); [split; auto | reflexivity | ].
    unfold local_inv; simpl; rewrite G0. split; [left; reflexivity|].
    split; [intros Hd; discriminate (In Hd)|].
    split; [exact S3|]. split; [intros Hp; rewrite Np in Hp; discriminate|].
    split; [intros _ Hp; rewrite Np in Hp; discriminate|]. split; [auto|].
    split; [intros Hq; destruct (Q Hq) as [X _]; split; [exact X | split; [discriminate | reflexivity]]|].
    split; [intros k n Hk; inversion Hk; subst; split; [lia | discriminate]|].
    split; [intros _ X; discriminate|]. intros He; congruence.
  - apply fresh_inv with (k := expiry_code); [split; auto | reflexivity | ].
    unfold local_inv; simpl; rewrite G0. split; [left; reflexivity|].
    split; [intros Hd; discriminate (In Hd)|].
    split; [exact S3|]. split; [intros Hp; rewrite Np in Hp; discriminate|].
    split; [intros _ Hp; rewrite Np in Hp; discriminate|]. split; [auto|].
    split; [intros Hq; destruct (Q Hq) as [X _]; split; [exact X | split; [discriminate | reflexivity]]|].
    split; [intros k n Hk; inversion Hk; subst; split; [lia | discriminate]|].
    split; [intros _ X; discriminate|]. intros He; congruence.
Qed.

Lemma put_same_code_inv : forall w i m v,
  Inv w -> w_msgs w i = Some m -> m_approval v = m_approval m -> local_inv (w_next w) v -> Inv (put w i v).
Proof.
  intros w i m v I Hm C Lv. apply put_inv; auto.
  intros j mj c Ne Hj Cv Cj. destruct I as [_ U]. rewrite C in Cv.
  exact (U i j m mj c (not_eq_sym Ne) Hm Hj Cv Cj).
Qed.

Lemma with_status_local : forall n m s,
  local_inv n m -> pending s = false -> terminal s = false -> s <> queued -> local_inv n (with_status m s).
Proof.
  intros n m s (S1 & S2 & S3 & S4 & S5 & S6 & S7 & S8 & S9 & S10) P T Q.
  unfold local_inv, with_status; simpl.
  split; [exact S1|]. split; [exact S2|]. split; [exact S3|].
  split; [intros Hp; rewrite P in Hp; discriminate|].
  split; [intros _ Hp; rewrite P in Hp; discriminate|].
  split; [intros Ht; rewrite T in Ht; discriminate|].
  split; [intros Hq; congruence|]. split; [exact S8|]. split; [exact S9|]. exact S10.
Qed.

Lemma outcome_facts : forall d next code,
  (next = approved_status d /\ code = approval_for d human_code) \/ (next = rejected /\ code = no_code) \/
  (next = expired /\ code = no_code) \/ (next = approved_status d /\ code = approval_for d expiry_code) ->
  pending next = false /\ (next = queued -> d = outbound /\ code <> no_code) /\ (d = inbound -> code = no_code).
Proof.
  intros d next code H. destruct d; intuition; subst; simpl; auto; try discriminate.
Qed.

Lemma request_inv : forall w i p fo ag rq rc, Inv w -> Inv (request w i p fo ag rq rc).
Proof.
  intros w i p fo ag rq rc I. unfold request.
  destruct (w_msgs w i) eqn:Hi; [exact I|].
  destruct (send _ _ _ _ _ _ _) eqn:S; [exact I | |].
  - destruct (send_held_shape _ _ _ _ _ _ _ _ _ S) as [Sh _].
    apply put_inv; [exact I | | intros j mj c _ _ C; discriminate].
    unfold local_inv; simpl. split; [left; reflexivity|]. split; [discriminate|].
    split; [intros _; split; [intros X; destruct Sh; congruence | split; [discriminate | intros X; destruct Sh; congruence]]|].
    split; [intros _; repeat split; discriminate|]. split; [reflexivity|]. split; [discriminate|].
    split; [discriminate|]. split; [discriminate|]. split; [intros _ _ X; congruence|]. discriminate.
  - destruct (send_delivered_shape _ _ _ _ _ _ _ _ _ _ S) as (Nr & Mb & _).
    apply put_inv; [exact I | | intros j mj c _ _ C; discriminate].
    unfold local_inv; simpl. split; [right; reflexivity|]. split; [discriminate|].
    split; [intros _; split; [exact Nr | split; [discriminate | exact Mb]]|].
    split; [discriminate|]. split; [discriminate|]. split; [discriminate|].
    split; [discriminate|]. split; [discriminate|]. split; [reflexivity|]. split; reflexivity.
Qed.

Lemma inv_step : forall w e, Inv w -> Inv (step w e).
Proof.
  intros w e I. destruct e as [i p fo ag rq rc | i | i p act r | i | | i k | i ok | i p | p to a | p r add]; simpl.
  - apply request_inv; exact I.
  - destruct (w_msgs w i) eqn:Hi; [exact I|].
    apply put_inv; [exact I | | intros j mj c _ _ C; discriminate].
    unfold local_inv; simpl. split; [left; reflexivity|]. split; [repeat split|].
    split; [discriminate|]. destruct (holds_inbound (w_mode w)); simpl.
    + split; [intros _; repeat split; discriminate|]. split; [discriminate|]. split; [discriminate|].
      split; [discriminate|]. split; [discriminate|]. split; [discriminate|]. discriminate.
    + split; [discriminate|]. split; [discriminate|]. split; [discriminate|].
      split; [discriminate|]. split; [discriminate|]. split; [discriminate|]. split; reflexivity.
  - destruct (w_msgs w i) as [m|] eqn:Hm; [|exact I].
    destruct (decide _ _ _ _ _ _ _ _ _) as [e0 | ans next code []] eqn:D; [exact I | |];
      destruct (decide_shape _ _ _ _ _ _ _ _ _ _ _ _ _ D) as (P & _ & _ & _ & X);
      destruct (outcome_facts (m_dir m) next code) as (Np & Q & In);
      try (apply record_inv; auto);
      [ destruct X as [_ [(_ & -> & ->) | (_ & -> & ->)]]; auto
      | destruct X as [_ E]; destruct (expire_shape _ _ _ _ E) as [(_ & -> & ->) | (_ & -> & ->)]; auto ].
  - destruct (w_msgs w i) as [m|] eqn:Hm; [|exact I].
    destruct (sweep _ _ _ _) as [| next code] eqn:D; [exact I|].
    destruct (sweep_shape _ _ _ _ _ _ D) as (P & _ & E).
    destruct (outcome_facts (m_dir m) next code) as (Np & Q & In);
      [ destruct (expire_shape _ _ _ _ E) as [(_ & -> & ->) | (_ & -> & ->)]; auto |].
    apply record_inv; auto.
  - apply same_msgs_inv with w; auto.
  - destruct (w_msgs w i) as [m|] eqn:Hm; [|exact I].
    destruct I as [L U]. pose proof (L i m Hm) as Lm.
    destruct (sign _ _ _ _ _) as [| md k0 |] eqn:G; [split; auto | |].
    + destruct (sign_only_approved _ _ _ _ _ _ _ G) as (Dir & St & Md & _ & _).
      destruct Lm as (S1 & S2 & S3 & S4 & S5 & S6 & S7 & S8 & S9 & S10).
      apply put_same_code_inv with m; [split; auto | exact Hm | reflexivity |].
      unfold local_inv; simpl. rewrite Md. split; [right; reflexivity|].
      split; [intros X; congruence|]. split; [exact S3|]. split; [discriminate|].
      split; [discriminate|]. split; [discriminate|]. split; [discriminate|].
      split; [exact S8|]. split; [intros _ X; destruct (S7 St) as (_ & Y & _); congruence|]. exact S10.
    + destruct (sign_only_approved_fails _ _ _ _ _ G) as (_ & St).
      apply put_same_code_inv with m; [split; auto | exact Hm | reflexivity |].
      apply with_status_local; auto; discriminate.
  - destruct (w_msgs w i) as [m|] eqn:Hm; [|exact I].
    destruct (status_beq (m_status m) signed); [|exact I].
    apply put_same_code_inv with m; [exact I | exact Hm | reflexivity |].
    apply with_status_local; [exact (proj1 I i m Hm) | destruct ok; reflexivity | destruct ok; reflexivity | destruct ok; discriminate].
  - destruct (w_msgs w i) as [m|] eqn:Hm; [|exact I].
    destruct (cancel _ _ _ _) eqn:C; [exact I|].
    apply cancel_shape in C. destruct C as (_ & _ & _ & C).
    pose proof (proj1 I i m Hm) as (S1 & S2 & S3 & S4 & S5 & S6 & S7 & S8 & S9 & S10).
    assert (P : pending (m_status m) = true) by (rewrite C; reflexivity).
    destruct (S4 P) as (A0 & D0 & G0 & E0).
    apply put_same_code_inv with m; [exact I | exact Hm | reflexivity |].
    unfold local_inv, with_status; simpl.
    split; [left; exact G0|]. split; [exact S2|]. split; [exact S3|]. split; [discriminate|].
    split; [discriminate|]. split; [intros _; exact G0|]. split; [discriminate|].
    split; [exact S8|]. split; [exact S9|]. exact S10.
  - destruct (change_mode _ _ _ _ _); [exact I|]. apply same_msgs_inv with w; auto.
  - destruct (change_allowlist _ _); [exact I|]. apply same_msgs_inv with w; auto.
Qed.

Lemma inv_run : forall tr, Inv (run tr).
Proof.
  intros tr. induction tr as [|e tr IH] using rev_ind.
  - apply inv_init.
  - rewrite run_snoc. apply inv_step, IH.
Qed.

(** ** What a message keeps as it moves on *)

(** Fields fixed at creation never change; an approval, a decision or a signature, once made, is
    never replaced; a rejected, expired or cancelled message never changes at all. *)
Definition keeps (m m' : message) : Prop :=
  m_dir m' = m_dir m /\ m_mode m' = m_mode m /\ m_sender m' = m_sender m /\ m_agent m' = m_agent m /\
  m_bcc m' = m_bcc m /\ m_expires m' = m_expires m /\
  (m_approval m <> None -> m_approval m' = m_approval m) /\
  (m_decision m <> None -> m_decision m' = m_decision m) /\
  (m_sig m <> None -> m_sig m' = m_sig m) /\
  (terminal (m_status m) = true -> m' = m).

Lemma keeps_refl : forall m, keeps m m.
Proof. intros m. repeat split; auto. Qed.

Lemma keeps_trans : forall a b c, keeps a b -> keeps b c -> keeps a c.
Proof.
  intros a b c (A1 & A2 & A3 & A4 & A5 & A6 & A7 & A8 & A9 & A10) (B1 & B2 & B3 & B4 & B5 & B6 & B7 & B8 & B9 & B10).
  repeat split; try congruence.
  - intros H. rewrite B7; [apply A7; exact H | rewrite A7; assumption].
  - intros H. rewrite B8; [apply A8; exact H | rewrite A8; assumption].
  - intros H. rewrite B9; [apply A9; exact H | rewrite A9; assumption].
  - intros H. rewrite B10; [apply A10; exact H | rewrite A10; assumption].
Qed.

Lemma request_other : forall w j p fo ag rq rc i, j <> i -> w_msgs (request w j p fo ag rq rc) i = w_msgs w i.
Proof.
  intros. unfold request. destruct (w_msgs w j); [reflexivity|].
  destruct (send _ _ _ _ _ _ _); simpl; try reflexivity; apply upd_neq; auto.
Qed.

Lemma request_existing : forall w j p fo ag rq rc m, w_msgs w j = Some m -> request w j p fo ag rq rc = w.
Proof. intros. unfold request. rewrite H. reflexivity. Qed.

Lemma record_at : forall w i m next code by_ actor,
  w_msgs (record w i m next code by_ actor) i = Some (recorded_msg w m next code by_ actor).
Proof. intros. apply upd_eq. Qed.

Lemma record_other : forall w i m next code by_ actor j,
  j <> i -> w_msgs (record w i m next code by_ actor) j = w_msgs w j.
Proof. intros. apply upd_neq. auto. Qed.

Lemma keeps_recorded : forall w m next code by_ actor,
  pending (m_status m) = true -> m_approval m = None -> m_decision m = None ->
  keeps m (recorded_msg w m next code by_ actor).
Proof.
  intros w m next code by_ actor P A D. unfold keeps, recorded_msg; simpl.
  repeat split; auto; intros H; try congruence; destruct (m_status m); discriminate.
Qed.

Lemma keeps_with_status : forall m s, terminal (m_status m) = false -> keeps m (with_status m s).
Proof.
  intros m s T. unfold keeps, with_status; simpl. repeat split; auto. intros H; congruence.
Qed.

Lemma step_keeps : forall w e i m,
  Inv w -> w_msgs w i = Some m -> exists m', w_msgs (step w e) i = Some m' /\ keeps m m'.
Proof.
  intros w e i m I Hm.
  pose proof (proj1 I i m Hm) as (S1 & S2 & S3 & S4 & S5 & S6 & S7 & S8 & S9 & S10).
  assert (Same : exists m', Some m = Some m' /\ keeps m m') by (exists m; split; [reflexivity | apply keeps_refl]).
  destruct e as [j p fo ag rq rc | j | j p act r | j | | j k | j ok | j p | p to a | p r add]; simpl.
  - destruct (Nat.eq_dec j i) as [->|Ne].
    + rewrite (request_existing _ _ _ _ _ _ _ _ Hm). rewrite Hm. exact Same.
    + rewrite request_other by exact Ne. rewrite Hm. exact Same.
  - destruct (w_msgs w j) eqn:Hj; [rewrite Hm; exact Same|].
    destruct (Nat.eq_dec j i) as [->|Ne]; [congruence|]. simpl. rewrite upd_neq by auto. rewrite Hm. exact Same.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|rewrite Hm; exact Same].
    destruct (decide _ _ _ _ _ _ _ _ _) as [e0 | ans next code []] eqn:D; [rewrite Hm; exact Same | |];
      (destruct (Nat.eq_dec j i) as [->|Ne];
       [ rewrite record_at; eexists; split; [reflexivity|];
         rewrite Hm in Hj; inversion Hj; subst mj;
         destruct (decide_shape _ _ _ _ _ _ _ _ _ _ _ _ _ D) as (P & _);
         destruct (S4 P) as (A0 & D0 & _); apply keeps_recorded; auto
       | rewrite record_other by auto; rewrite Hm; exact Same ]).
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|rewrite Hm; exact Same].
    destruct (sweep _ _ _ _) as [| next code] eqn:D; [rewrite Hm; exact Same|].
    destruct (Nat.eq_dec j i) as [->|Ne].
    + rewrite record_at; eexists; split; [reflexivity|].
      rewrite Hm in Hj; inversion Hj; subst mj.
      destruct (sweep_shape _ _ _ _ _ _ D) as (P & _).
      destruct (S4 P) as (A0 & D0 & _); apply keeps_recorded; auto.
    + rewrite record_other by auto; rewrite Hm; exact Same.
  - rewrite Hm. exact Same.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|rewrite Hm; exact Same].
    destruct (sign _ _ _ _ _) as [| md k0 |] eqn:G; [rewrite Hm; exact Same | |];
      (destruct (Nat.eq_dec j i) as [->|Ne]; [|simpl; rewrite upd_neq by auto; rewrite Hm; exact Same]);
      simpl; rewrite upd_eq; eexists; split; [reflexivity| | reflexivity|];
      rewrite Hm in Hj; inversion Hj; subst mj.
    + destruct (sign_only_approved _ _ _ _ _ _ _ G) as (_ & St & _).
      destruct (S7 St) as (_ & _ & G0). unfold keeps; simpl. repeat split; auto; intros H; try congruence.
      rewrite St in H; discriminate.
    + destruct (sign_only_approved_fails _ _ _ _ _ G) as (_ & St).
      apply keeps_with_status. rewrite St. reflexivity.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|rewrite Hm; exact Same].
    destruct (status_beq (m_status mj) signed) eqn:B; [|rewrite Hm; exact Same].
    destruct (Nat.eq_dec j i) as [->|Ne]; [|simpl; rewrite upd_neq by auto; rewrite Hm; exact Same].
    simpl; rewrite upd_eq; eexists; split; [reflexivity|].
    rewrite Hm in Hj; inversion Hj; subst mj. apply internal_status_dec_bl in B.
    apply keeps_with_status. rewrite B. reflexivity.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|rewrite Hm; exact Same].
    destruct (cancel _ _ _ _) eqn:B; [rewrite Hm; exact Same|].
    destruct (Nat.eq_dec j i) as [->|Ne]; [|simpl; rewrite upd_neq by auto; rewrite Hm; exact Same].
    simpl; rewrite upd_eq; eexists; split; [reflexivity|].
    rewrite Hm in Hj; inversion Hj; subst mj. apply cancel_shape in B. destruct B as (_ & _ & _ & B).
    apply keeps_with_status. rewrite B. reflexivity.
  - destruct (change_mode _ _ _ _ _); simpl; rewrite Hm; exact Same.
  - destruct (change_allowlist _ _); simpl; rewrite Hm; exact Same.
Qed.

Lemma run_keeps : forall tr tr' i m,
  w_msgs (run tr) i = Some m -> exists m', w_msgs (run (tr ++ tr')) i = Some m' /\ keeps m m'.
Proof.
  intros tr tr'. induction tr' as [|e tr' IH] using rev_ind; intros i m H.
  - rewrite app_nil_r. exists m. split; [exact H | apply keeps_refl].
  - destruct (IH i m H) as (m1 & H1 & K1).
    rewrite app_assoc, run_snoc.
    destruct (step_keeps (run (tr ++ tr')) e i m1 (inv_run _) H1) as (m2 & H2 & K2).
    exists m2. split; [exact H2 | apply keeps_trans with m1; auto].
Qed.

(** ** Where a message and its approval come from *)

Lemma creation : forall tr i m,
  w_msgs (run tr) i = Some m ->
  exists pre e post m0, tr = pre ++ e :: post /\ w_msgs (run pre) i = None /\
    w_msgs (step (run pre) e) i = Some m0 /\ keeps m0 m.
Proof.
  intros tr. induction tr as [|e tr IH] using rev_ind; intros i m H.
  - discriminate.
  - rewrite run_snoc in H. destruct (w_msgs (run tr) i) as [m1|] eqn:H1.
    + destruct (IH i m1 H1) as (pre & e0 & post & m0 & -> & N & C & K).
      destruct (step_keeps (run (pre ++ e0 :: post)) e i m1 (inv_run _) H1) as (m2 & H2 & K2).
      rewrite H in H2. inversion H2; subst m2.
      exists pre, e0, (post ++ [e]), m0. split; [|split; [|split]]; auto.
      * rewrite <- app_assoc. reflexivity.
      * apply keeps_trans with m1; auto.
    + exists tr, e, [], m. split; [|split; [|split]]; auto. apply keeps_refl.
Qed.

Definition held_message (w : world) (p : principal) (ag : option nat) (md : mode) (src : agent_source) : message :=
  Message outbound pending_approval md (Some (p_id p)) (agent_value p ag src) false (Some (w_clock w + ttl)) None None None.

Definition sent_message (p : principal) (ag : option nat) (md : mode) (bcc : bool) (src : agent_source) : message :=
  Message outbound signed md (Some (p_id p)) (agent_value p ag src) bcc None None None
    (Some (Signed (agent_value p ag src) md None)).

Lemma creation_cases : forall w e i m0,
  w_msgs w i = None -> w_msgs (step w e) i = Some m0 ->
  (exists p fo ag rq rc, e = e_request i p fo ag rq rc /\
     let out := send (p_scopes p) (send_key_of p fo) (agent_case_of p ag) (w_mode w) rq (all_allowlisted (w_allowlist w) rc) (w_address w) in
     ((exists md src, out = send_held md src /\ m0 = held_message w p ag md src) \/
      (exists md bcc src, out = send_delivered md bcc src /\ m0 = sent_message p ag md bcc src)))
  \/ (e = e_inbound i /\ m_dir m0 = inbound).
Proof.
  intros w e i m0 N H.
  destruct e as [j p fo ag rq rc | j | j p act r | j | | j k | j ok | j p | p to a | p r add]; simpl in H.
  - destruct (Nat.eq_dec j i) as [->|Ne].
    + left. exists p, fo, ag, rq, rc. split; [reflexivity|]. unfold request in H. rewrite N in H.
      destruct (send _ _ _ _ _ _ _) eqn:S; simpl in H; [congruence | |]; rewrite upd_eq in H; inversion H; subst.
      * left. eauto.
      * right. eauto.
    + rewrite request_other in H by exact Ne. congruence.
  - destruct (w_msgs w j); [congruence|]. destruct (Nat.eq_dec j i) as [->|Ne].
    + right. simpl in H. rewrite upd_eq in H. inversion H; subst. auto.
    + simpl in H. rewrite upd_neq in H by auto. congruence.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|congruence].
    destruct (decide _ _ _ _ _ _ _ _ _) as [e0 | ans next code []]; [congruence| |];
      (destruct (Nat.eq_dec j i) as [->|Ne]; [congruence | rewrite record_other in H by auto; congruence]).
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|congruence].
    destruct (sweep _ _ _ _); [congruence|].
    destruct (Nat.eq_dec j i) as [->|Ne]; [congruence | rewrite record_other in H by auto; congruence].
  - congruence.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|congruence].
    destruct (sign _ _ _ _ _); [congruence | |];
      (destruct (Nat.eq_dec j i) as [->|Ne]; [congruence | simpl in H; rewrite upd_neq in H by auto; congruence]).
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|congruence].
    destruct (status_beq _ _); [|congruence].
    destruct (Nat.eq_dec j i) as [->|Ne]; [congruence | simpl in H; rewrite upd_neq in H by auto; congruence].
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|congruence].
    destruct (cancel _ _ _ _); [congruence|].
    destruct (Nat.eq_dec j i) as [->|Ne]; [congruence | simpl in H; rewrite upd_neq in H by auto; congruence].
  - destruct (change_mode _ _ _ _ _); simpl in H; congruence.
  - destruct (change_allowlist _ _); simpl in H; congruence.
Qed.

Lemma approval_witness : forall tr i m c,
  w_msgs (run tr) i = Some m -> m_approval m = Some c ->
  exists pre e post m0 m1, tr = pre ++ e :: post /\ w_msgs (run pre) i = Some m0 /\ m_approval m0 = None /\
    w_msgs (step (run pre) e) i = Some m1 /\ m_approval m1 = Some c /\ keeps m0 m.
Proof.
  intros tr. induction tr as [|e tr IH] using rev_ind; intros i m c H C.
  - discriminate.
  - rewrite run_snoc in H. destruct (w_msgs (run tr) i) as [m1|] eqn:H1.
    + destruct (step_keeps (run tr) e i m1 (inv_run _) H1) as (m2 & H2 & K2).
      rewrite H in H2. inversion H2; subst m2.
      destruct (m_approval m1) as [c1|] eqn:C1.
      * pose proof K2 as (_ & _ & _ & _ & _ & _ & KA & _). rewrite KA in C by congruence.
        rewrite C1 in C. inversion C; subst c1.
        destruct (IH i m1 c H1 C1) as (pre & e0 & post & m0 & m3 & -> & P0 & A0 & P3 & A3 & K0).
        exists pre, e0, (post ++ [e]), m0, m3. split; [|split; [|split; [|split; [|split]]]]; auto.
        -- rewrite <- app_assoc. reflexivity.
        -- apply keeps_trans with m1; auto.
      * exists tr, e, [], m1, m. split; [|split; [|split; [|split; [|split]]]]; auto.
    + exfalso. destruct (creation_cases (run tr) e i m H1 H) as
        [(p & fo & ag & rq & rc & _ & [(md & src & _ & ->) | (md & bcc & src & _ & ->)]) | (_ & Hd)];
        try discriminate.
      destruct (proj1 (inv_run (tr ++ [e])) i m) as (_ & S2 & _); [rewrite run_snoc; exact H|].
      destruct (S2 Hd) as (_ & A & _); congruence.
Qed.

Lemma approval_step : forall w e i m0 m1 k n,
  w_msgs w i = Some m0 -> m_approval m0 = None ->
  w_msgs (step w e) i = Some m1 -> m_approval m1 = Some (k, n) ->
  n = w_next w /\ k <> no_code /\
  ((exists p act r ans next by_, e = e_decide i p act r /\
      decide (p_scopes p) (p_binding p) (m_dir m0) (m_status m0) act r (same_actor m0 p) (past_deadline w m0) ea
      = decide_recorded ans next k by_) \/
   (exists next, e = e_expire i /\ sweep (m_dir m0) (m_status m0) (past_deadline w m0) ea = swept next k)).
Proof.
  intros w e i m0 m1 k n H0 A0 H1 A1.
  assert (Unchanged : w_msgs (step w e) i = w_msgs w i -> False) by (intros X; congruence).
  destruct e as [j p fo ag rq rc | j | j p act r | j | | j k0 | j ok | j p | p to a | p r add];
    simpl in H1, Unchanged.
  - exfalso; apply Unchanged. destruct (Nat.eq_dec j i) as [->|Ne].
    + rewrite (request_existing _ _ _ _ _ _ _ _ H0). reflexivity.
    + apply request_other; exact Ne.
  - exfalso; apply Unchanged. destruct (w_msgs w j) eqn:Hj; [reflexivity|].
    destruct (Nat.eq_dec j i) as [->|Ne]; [congruence|]. simpl. apply upd_neq; auto.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|exfalso; apply Unchanged; reflexivity].
    destruct (decide _ _ _ _ _ _ _ _ _) as [e0 | ans next code by_] eqn:D;
      [exfalso; apply Unchanged; reflexivity|].
    destruct (Nat.eq_dec j i) as [->|Ne];
      [| exfalso; apply Unchanged; destruct by_; apply record_other; auto].
    rewrite H0 in Hj. inversion Hj; subst mj.
    assert (R : w_msgs (step w (e_decide i p act r)) i = Some (recorded_msg w m0 next code by_
                  (match by_ with by_human => Some (p_id p) | by_expiry => None end))).
    { simpl. rewrite H0, D. destruct by_; apply record_at. }
    simpl in R. rewrite H0, D in R. rewrite R in H1. inversion H1; subst m1. simpl in A1.
    destruct code; [rewrite A0 in A1; discriminate | |]; inversion A1; subst;
      (split; [reflexivity | split; [discriminate | left; exists p, act, r, ans, next, by_; auto]]).
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|exfalso; apply Unchanged; reflexivity].
    destruct (sweep _ _ _ _) as [| next code] eqn:D; [exfalso; apply Unchanged; reflexivity|].
    destruct (Nat.eq_dec j i) as [->|Ne]; [| exfalso; apply Unchanged; apply record_other; auto].
    rewrite H0 in Hj. inversion Hj; subst mj.
    rewrite record_at in H1. inversion H1; subst m1. simpl in A1.
    destruct code; [rewrite A0 in A1; discriminate | |]; inversion A1; subst;
      (split; [reflexivity | split; [discriminate | right; exists next; auto]]).
  - exfalso; apply Unchanged; reflexivity.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|exfalso; apply Unchanged; reflexivity].
    destruct (sign _ _ _ _ _) eqn:G; [exfalso; apply Unchanged; reflexivity | |];
      (destruct (Nat.eq_dec j i) as [->|Ne]; [| exfalso; apply Unchanged; simpl; apply upd_neq; auto]);
      rewrite H0 in Hj; inversion Hj; subst mj; simpl in H1; rewrite upd_eq in H1; inversion H1; subst m1;
      simpl in A1; congruence.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|exfalso; apply Unchanged; reflexivity].
    destruct (status_beq _ _); [|exfalso; apply Unchanged; reflexivity].
    destruct (Nat.eq_dec j i) as [->|Ne]; [| exfalso; apply Unchanged; simpl; apply upd_neq; auto].
    rewrite H0 in Hj; inversion Hj; subst mj; simpl in H1; rewrite upd_eq in H1; inversion H1; subst m1.
    simpl in A1; congruence.
  - destruct (w_msgs w j) as [mj|] eqn:Hj; [|exfalso; apply Unchanged; reflexivity].
    destruct (cancel _ _ _ _); [exfalso; apply Unchanged; reflexivity|].
    destruct (Nat.eq_dec j i) as [->|Ne]; [| exfalso; apply Unchanged; simpl; apply upd_neq; auto].
    rewrite H0 in Hj; inversion Hj; subst mj; simpl in H1; rewrite upd_eq in H1; inversion H1; subst m1.
    simpl in A1; congruence.
  - exfalso; apply Unchanged. destruct (change_mode _ _ _ _ _); reflexivity.
  - exfalso; apply Unchanged. destruct (change_allowlist _ _); reflexivity.
Qed.

(** ** The theorems of issue 15 *)

(** A message is signed only if its mode allowed an unreviewed send at the time of the request, or
    a credential with the oversight scope, not the sending credential, approved it with a reason
    before its deadline, or (only when the server is configured so) expiry approved it after the
    deadline, with an [exp_] code the signature shows. *)
Theorem signed_only_if_authorized : forall tr i m sf,
  w_msgs (run tr) i = Some m -> m_sig m = Some sf ->
  m_dir m = outbound /\ sf = Signed (m_agent m) (m_mode m) (m_approval m) /\
  ( (m_approval m = None /\
     exists pre p fo ag rq rc post, tr = pre ++ e_request i p fo ag rq rc :: post /\
       w_msgs (run pre) i = None /\
       m_mode m = effective_mode (w_mode (run pre)) rq /\
       unreviewed_send (m_mode m) (all_allowlisted (w_allowlist (run pre)) rc) = true /\
       sc_send (p_scopes p) = true /\ m_sender m = Some (p_id p))
  \/ (exists pre p post m0 t, tr = pre ++ e_decide i p approve true :: post /\
       w_msgs (run pre) i = Some m0 /\ m_status m0 = pending_approval /\
       m_expires m0 = Some t /\ w_clock (run pre) < t /\
       sc_oversight (p_scopes p) = true /\ m_sender m <> Some (p_id p) /\
       m_approval m = Some (human_code, w_next (run pre)))
  \/ (ea = expire_approve /\ exists pre e post m0 t, tr = pre ++ e :: post /\
       w_msgs (run pre) i = Some m0 /\ m_status m0 = pending_approval /\
       m_expires m0 = Some t /\ t <= w_clock (run pre) /\
       m_approval m = Some (expiry_code, w_next (run pre)))).
Proof.
  intros tr i m sf H G.
  pose proof (proj1 (inv_run tr) i m H) as (S1 & S2 & S3 & S4 & S5 & S6 & S7 & S8 & S9 & S10).
  assert (Out : m_dir m = outbound).
  { destruct (m_dir m) eqn:D; auto. destruct (S2 eq_refl) as (X & _); congruence. }
  assert (Sf : sf = Signed (m_agent m) (m_mode m) (m_approval m)) by (destruct S1; congruence).
  split; [exact Out|]. split; [exact Sf|].
  destruct (m_approval m) as [[k n]|] eqn:A.
  - destruct (approval_witness tr i m (k, n) H A) as (pre & e & post & m0 & m1 & -> & H0 & A0 & H1 & A1 & K).
    destruct K as (K1 & K2 & K3 & K4 & K5 & K6 & _).
    destruct (approval_step (run pre) e i m0 m1 k n H0 A0 H1 A1) as (-> & Kc & Ev).
    pose proof (proj1 (inv_run pre) i m0 H0) as (T1 & T2 & T3 & T4 & T5 & _).
    destruct Ev as [(p & act & r & ans & next & by_ & -> & D) | (next & -> & D)].
    + destruct (decide_shape _ _ _ _ _ _ _ _ _ _ _ _ _ D) as (Pd & Ov & Sa & Rs & X).
      destruct by_.
      * destruct X as (Past & [(-> & _ & Code) | (_ & _ & Code)]); try (rewrite <- K1, Out in Code); simpl in Code;
          [|congruence]. subst k.
        right; left. subst r.
        destruct (m_expires m0) as [t|] eqn:E; [|destruct (T4 Pd) as (_ & _ & _ & X); congruence].
        exists pre, p, post, m0, t. repeat split; auto.
        -- apply T5; [congruence | exact Pd].
        -- unfold past_deadline in Past. rewrite E in Past. apply Nat.leb_gt in Past. exact Past.
        -- rewrite K3. unfold same_actor in Sa. destruct (m_sender m0) as [s0|]; [|discriminate].
           intros Y. inversion Y; subst. rewrite Nat.eqb_refl in Sa. discriminate.
      * destruct X as (Past & E).
        destruct (expire_shape _ _ _ _ E) as [(_ & _ & Code) | (Ea & _ & Code)]; [congruence|].
        rewrite <- K1, Out in Code; simpl in Code. subst k.
        right; right. split; [exact Ea|].
        destruct (m_expires m0) as [t|] eqn:Ex; [|destruct (T4 Pd) as (_ & _ & _ & X); congruence].
        exists pre, (e_decide i p act r), post, m0, t. repeat split; auto.
        -- apply T5; [congruence | exact Pd].
        -- unfold past_deadline in Past. rewrite Ex in Past. apply Nat.leb_le in Past. exact Past.
    + destruct (sweep_shape _ _ _ _ _ _ D) as (Pd & Due & E).
      destruct (expire_shape _ _ _ _ E) as [(_ & _ & Code) | (Ea & _ & Code)]; [congruence|].
      rewrite <- K1, Out in Code; simpl in Code. subst k.
      right; right. split; [exact Ea|].
      destruct (m_expires m0) as [t|] eqn:Ex; [|destruct (T4 Pd) as (_ & _ & _ & X); congruence].
      exists pre, (e_expire i), post, m0, t. repeat split; auto.
      * apply T5; [congruence | exact Pd].
      * unfold past_deadline in Due. rewrite Ex in Due. apply Nat.leb_le in Due. exact Due.
  - left. split; [reflexivity|].
    assert (E : m_expires m = None) by (apply S9; [exact Out | reflexivity | congruence]).
    destruct (creation tr i m H) as (pre & e & post & m0 & -> & N & C & K).
    destruct K as (K1 & K2 & K3 & K4 & K5 & K6 & _).
    destruct (creation_cases (run pre) e i m0 N C) as
      [(p & fo & ag & rq & rc & -> & [(md & src & Sd & ->) | (md & bcc & src & Sd & ->)]) | (_ & Dir)].
    + simpl in K6. congruence.
    + simpl in K2, K3. destruct (delivered_means_unreviewed _ _ _ _ _ _ _ _ _ _ Sd) as (Em & Un & _).
      destruct (send_delivered_shape _ _ _ _ _ _ _ _ _ _ Sd) as (_ & _ & Ss & _).
      exists pre, p, fo, ag, rq, rc, post. repeat split; auto; congruence.
    + congruence.
Qed.

(** The identity signature's [oversight] is the mode the send was authorized under: the effective
    mode at the request, whatever the mailbox's mode became while the message was held. *)
Theorem signed_mode_is_request_mode : forall tr i m,
  w_msgs (run tr) i = Some m -> m_dir m = outbound ->
  exists pre p fo ag rq rc post, tr = pre ++ e_request i p fo ag rq rc :: post /\
    w_msgs (run pre) i = None /\ m_mode m = effective_mode (w_mode (run pre)) rq.
Proof.
  intros tr i m H Out.
  destruct (creation tr i m H) as (pre & e & post & m0 & -> & N & C & K).
  destruct K as (K1 & K2 & _).
  destruct (creation_cases (run pre) e i m0 N C) as
    [(p & fo & ag & rq & rc & -> & [(md & src & Sd & ->) | (md & bcc & src & Sd & ->)]) | (_ & Dir)].
  - exists pre, p, fo, ag, rq, rc, post. repeat split; auto. simpl in K2. rewrite K2.
    exact (proj1 (held_under_its_effective_mode _ _ _ _ _ _ _ _ _ Sd)).
  - exists pre, p, fo, ag, rq, rc, post. repeat split; auto. simpl in K2. rewrite K2.
    exact (proj1 (delivered_means_unreviewed _ _ _ _ _ _ _ _ _ _ Sd)).
  - congruence.
Qed.

(** A rejected, expired or cancelled message is never signed and never changes again: it is
    never delivered, and never approved after the rejection. *)
Theorem closed_messages_stay_closed : forall tr tr' i m,
  w_msgs (run tr) i = Some m -> m_status m = rejected \/ m_status m = expired \/ m_status m = cancelled ->
  m_sig m = None /\ w_msgs (run (tr ++ tr')) i = Some m.
Proof.
  intros tr tr' i m H St.
  assert (T : terminal (m_status m) = true) by (destruct St as [-> | [-> | ->]]; reflexivity).
  pose proof (proj1 (inv_run tr) i m H) as (_ & _ & _ & _ & _ & S6 & _).
  split; [exact (S6 T)|].
  destruct (run_keeps tr tr' i m H) as (m' & H' & K).
  destruct K as (_ & _ & _ & _ & _ & _ & _ & _ & _ & K10). rewrite <- (K10 T). exact H'.
Qed.

(** One decision per held message: the first is kept for ever, and every later attempt is refused
    without effect. *)
Theorem one_decision : forall tr i m d,
  w_msgs (run tr) i = Some m -> m_decision m = Some d ->
  (forall tr', exists m', w_msgs (run (tr ++ tr')) i = Some m' /\ m_decision m' = Some d) /\
  (forall p act r, step (run tr) (e_decide i p act r) = run tr) /\
  step (run tr) (e_expire i) = run tr.
Proof.
  intros tr i m d H D.
  pose proof (proj1 (inv_run tr) i m H) as (_ & _ & _ & S4 & _).
  assert (Np : pending (m_status m) = false).
  { destruct (pending (m_status m)) eqn:P; auto. destruct (S4 eq_refl) as (_ & X & _); congruence. }
  split; [|split].
  - intros tr'. destruct (run_keeps tr tr' i m H) as (m' & H' & K).
    exists m'. split; auto. destruct K as (_ & _ & _ & _ & _ & _ & _ & K8 & _). rewrite K8; congruence.
  - intros p act r. simpl. rewrite H.
    destruct (decide _ _ _ _ _ _ _ _ _) as [e0 | ans next code by_] eqn:Dc; [reflexivity|].
    rewrite (decisions_only_on_pending _ _ _ _ _ _ _ _ _ _ _ _ _ Dc) in Np. discriminate.
  - simpl. rewrite H. destruct (sweep _ _ _ _) as [|next code] eqn:Sw; [reflexivity|].
    destruct (sweep_shape _ _ _ _ _ _ Sw) as (P & _). congruence.
Qed.

(** [read_only] never sends: no outbound message exists under it, and a request to a read_only
    mailbox changes nothing. *)
Theorem read_only_never_sends_in_any_trace : forall tr i m,
  w_msgs (run tr) i = Some m -> m_dir m = outbound -> m_mode m <> read_only.
Proof.
  intros tr i m H Out. pose proof (proj1 (inv_run tr) i m H) as (_ & _ & S3 & _). exact (proj1 (S3 Out)).
Qed.

Theorem read_only_request_is_refused : forall w i p fo ag rq rc,
  w_mode w = read_only -> request w i p fo ag rq rc = w.
Proof.
  intros w i p fo ag rq rc M. unfold request. destruct (w_msgs w i); [reflexivity|]. rewrite M.
  pose proof (read_only_never_sends (p_scopes p) (send_key_of p fo) (agent_case_of p ag) rq
                (all_allowlisted (w_allowlist w) rc) (w_address w)) as R.
  destruct (send _ _ _ _ _ _ _); [reflexivity | contradiction | contradiction].
Qed.

(** [monitored] always copies the oversight address. *)
Theorem monitored_always_copies : forall tr i m,
  w_msgs (run tr) i = Some m -> m_dir m = outbound -> m_mode m = monitored -> m_bcc m = true.
Proof.
  intros tr i m H Out Mo. pose proof (proj1 (inv_run tr) i m H) as (_ & _ & S3 & _). exact (proj2 (proj2 (S3 Out)) Mo).
Qed.

Lemma weakening_irrefl : forall m, weakening m m = false.
Proof. destruct m; reflexivity. Qed.

(** Weakening a mailbox's mode needs the oversight scope; no key the API creates with the send
    scope has it (separation of duties, [created_keys_are_separated]). *)
Theorem weakening_needs_oversight_in_any_trace : forall tr e,
  weakening (w_mode (run tr)) (w_mode (step (run tr) e)) = true ->
  exists p to a, e = e_change_mode p to a /\ sc_oversight (p_scopes p) = true /\
    (separated (p_scopes p) = true -> sc_send (p_scopes p) = false).
Proof.
  intros tr e W. remember (run tr) as w eqn:Hw. clear Hw.
  destruct e as [j p fo ag rq rc | j | j p act r | j | | j k0 | j ok | j p | p to a | p r add];
    simpl in W; try (rewrite weakening_irrefl in W; discriminate).
  - unfold request in W. destruct (w_msgs w j); [rewrite weakening_irrefl in W; discriminate|].
    destruct (send _ _ _ _ _ _ _); simpl in W; rewrite weakening_irrefl in W; discriminate.
  - destruct (w_msgs w j); simpl in W; rewrite weakening_irrefl in W; discriminate.
  - destruct (w_msgs w j); [|rewrite weakening_irrefl in W; discriminate].
    destruct (decide _ _ _ _ _ _ _ _ _) as [|? ? ? []]; simpl in W; rewrite weakening_irrefl in W; discriminate.
  - destruct (w_msgs w j); [|rewrite weakening_irrefl in W; discriminate].
    destruct (sweep _ _ _ _); simpl in W; rewrite weakening_irrefl in W; discriminate.
  - destruct (w_msgs w j); [|rewrite weakening_irrefl in W; discriminate].
    destruct (sign _ _ _ _ _); simpl in W; rewrite weakening_irrefl in W; discriminate.
  - destruct (w_msgs w j); [|rewrite weakening_irrefl in W; discriminate].
    destruct (status_beq _ _); simpl in W; rewrite weakening_irrefl in W; discriminate.
  - destruct (w_msgs w j); [|rewrite weakening_irrefl in W; discriminate].
    destruct (cancel _ _ _ _); simpl in W; rewrite weakening_irrefl in W; discriminate.
  - destruct (change_mode _ _ _ _ _) eqn:C; simpl in W; [rewrite weakening_irrefl in W; discriminate|].
    exists p, to, a. split; [reflexivity|]. exact (weakening_needs_oversight _ _ _ _ _ C W).
  - destruct (change_allowlist _ _); simpl in W; rewrite weakening_irrefl in W; discriminate.
Qed.

(** The approval code in a signed header is the one issued by this message's own decision (human
    or expiry), drawn fresh at that decision, and no other message carries it. *)
Theorem approval_code_linked : forall tr i m sf c,
  w_msgs (run tr) i = Some m -> m_sig m = Some sf -> sf_approval sf = Some c ->
  m_approval m = Some c /\
  (exists pre e post m0, tr = pre ++ e :: post /\ w_msgs (run pre) i = Some m0 /\ pending (m_status m0) = true /\
     snd c = w_next (run pre) /\ (e = e_expire i \/ exists p act r, e = e_decide i p act r)) /\
  (forall j mj, j <> i -> w_msgs (run tr) j = Some mj -> m_approval mj <> Some c).
Proof.
  intros tr i m sf [k n] H G A.
  destruct (signed_only_if_authorized tr i m sf H G) as (_ & Sf & _).
  subst sf. simpl in A. split; [exact A|]. split.
  - destruct (approval_witness tr i m (k, n) H A) as (pre & e & post & m0 & m1 & -> & H0 & A0 & H1 & A1 & _).
    destruct (approval_step (run pre) e i m0 m1 k n H0 A0 H1 A1) as (-> & _ & Ev).
    exists pre, e, post, m0. split; [reflexivity|]. split; [exact H0|].
    destruct Ev as [(p & act & r & ans & next & by_ & -> & D) | (next & -> & D)].
    + split; [exact (decisions_only_on_pending _ _ _ _ _ _ _ _ _ _ _ _ _ D)|].
      split; [reflexivity|]. right. eauto.
    + split; [exact (proj1 (sweep_shape _ _ _ _ _ _ D))|]. split; [reflexivity|]. left; reflexivity.
  - intros j mj Ne Hj. exact (proj2 (inv_run tr) i j m mj (k, n) (not_eq_sym Ne) H Hj A).
Qed.

(** Adding to the allowlist is an oversight action. *)
Theorem allowlist_grows_only_by_oversight : forall tr e r,
  In r (w_allowlist (step (run tr) e)) -> ~ In r (w_allowlist (run tr)) ->
  exists p, e = e_allowlist p r true /\ sc_oversight (p_scopes p) = true.
Proof.
  intros tr e r In1 In0. remember (run tr) as w eqn:Hw. clear Hw.
  destruct e as [j p fo ag rq rc | j | j p act r0 | j | | j k0 | j ok | j p | p to a | p r0 add];
    simpl in In1; try contradiction.
  - unfold request in In1. destruct (w_msgs w j); [contradiction|].
    destruct (send _ _ _ _ _ _ _); simpl in In1; contradiction.
  - destruct (w_msgs w j); simpl in In1; contradiction.
  - destruct (w_msgs w j); [|contradiction].
    destruct (decide _ _ _ _ _ _ _ _ _) as [|? ? ? []]; simpl in In1; contradiction.
  - destruct (w_msgs w j); [|contradiction]. destruct (sweep _ _ _ _); simpl in In1; contradiction.
  - destruct (w_msgs w j); [|contradiction]. destruct (sign _ _ _ _ _); simpl in In1; contradiction.
  - destruct (w_msgs w j); [|contradiction]. destruct (status_beq _ _); simpl in In1; contradiction.
  - destruct (w_msgs w j); [|contradiction]. destruct (cancel _ _ _ _); simpl in In1; contradiction.
  - destruct (change_mode _ _ _ _ _); simpl in In1; contradiction.
  - destruct (change_allowlist _ _) eqn:C; simpl in In1; [contradiction|].
    destruct add.
    + destruct In1 as [-> | X]; [|contradiction]. exists p. split; [reflexivity|].
      unfold change_allowlist in C. destruct (sc_oversight (p_scopes p)); [reflexivity | discriminate].
    + apply filter_In in In1. destruct In1; contradiction.
Qed.

End Machine.
