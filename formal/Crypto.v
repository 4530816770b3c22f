(** * From a verifying signature back to the decision that authorized it.

    The only axioms of the model are here, and both are cryptographic: ECDSA P-256 signatures
    cannot be forged, and SHA-256 has no collisions.  Both are idealizations of computational
    assumptions (an attacker succeeds with negligible probability, not never); docs/formal-model.md
    says what that means for the guarantees.  A third assumption is a hypothesis of the final
    theorem, not an axiom: the identity keys stay inside the server, whose only use of them is the
    signing step of [Lifecycle] (SPEC §2.3: private keys never leave the server unencrypted). *)

From Coq Require Import String List NArith Permutation Lia.
From Formal Require Import Policy Lifecycle Payload Header.
Import ListNotations.
Open Scope string_scope.
Open Scope list_scope.
Open Scope N_scope.

Definition bytes := list N.

(** SHA-256 of the (canonicalized) body, as the 64 lowercase hex digits the header carries. *)
Parameter sha256_hex : bytes -> str.
Axiom sha256_collision_resistant : forall a b, sha256_hex a = sha256_hex b -> a = b.

Parameter public_key signature : Type.
Parameter ecdsa_verify : public_key -> bytes -> signature -> bool.
(** [signed_with pk m]: the holder of [pk]'s private key produced a signature over [m]. *)
Parameter signed_with : public_key -> bytes -> Prop.
Axiom ecdsa_p256_unforgeable : forall pk m s, ecdsa_verify pk m s = true -> signed_with pk m.

(** ** The header a delivery writes *)

Definition mode_name (m : mode) : str :=
  Eval vm_compute in match m with
  | autonomous => u "autonomous" | monitored => u "monitored" | gated_send => u "gated_send"
  | gated_all => u "gated_all" | read_only => u "read_only"
  end.

(** The fields that do not come from the decision: key id, tenant, time, bound headers' hash. *)
Record context := Context { c_kid : str; c_tenant : str; c_ts : str; c_h : str; c_hh : str }.

Section Signing.

(** How agent ids and approval codes are spelt; distinct ones are spelt differently. *)
Variable agent_name : nat -> str.
Variable code_name : approval_kind -> nat -> str.
Hypothesis agent_name_injective : forall a b, agent_name a = agent_name b -> a = b.
Hypothesis code_name_injective : forall k n k' n', code_name k n = code_name k' n' -> k = k' /\ n = n'.
Hypothesis names_ok : forall a k n, str_ok (agent_name a) = true /\ str_ok (code_name k n) = true.

(** Field names, spelt once as code units so that proofs compare numbers, not strings. *)
Definition k_v := Eval vm_compute in u "v".
Definition k_kid := Eval vm_compute in u "kid".
Definition k_tenant := Eval vm_compute in u "tenant".
Definition k_agent := Eval vm_compute in u "agent".
Definition k_oversight := Eval vm_compute in u "oversight".
Definition k_approval := Eval vm_compute in u "approval".
Definition k_ts := Eval vm_compute in u "ts".
Definition k_h := Eval vm_compute in u "h".
Definition k_hh := Eval vm_compute in u "hh".
Definition k_bh := Eval vm_compute in u "bh".
Definition one := Eval vm_compute in u "1".

Definition header_fields (c : context) (sf : signed_fields) (bh : str) : list (str * str) :=
  [(k_v, one); (k_kid, c_kid c); (k_tenant, c_tenant c); (k_agent, agent_name (sf_agent sf));
   (k_oversight, mode_name (sf_mode sf))] ++
  match sf_approval sf with Some (k, n) => [(k_approval, code_name k n)] | None => [] end ++
  [(k_ts, c_ts c); (k_h, c_h c); (k_hh, c_hh c); (k_bh, bh)].

(** What the signature covers: every field but [sig], and the body's hash as [body_hash]. *)
Definition signed_bytes (c : context) (sf : signed_fields) (body : bytes) : bytes :=
  payload_bytes (header_fields c sf (sha256_hex body)) (sha256_hex body).

Definition context_ok (c : context) : bool :=
  str_ok (c_kid c) && str_ok (c_tenant c) && str_ok (c_ts c) && str_ok (c_h c) && str_ok (c_hh c).

Definition keyed (k : str) (l : list (str * str)) : option str :=
  match find (fun kv => str_eqb (fst kv) k) l with Some kv => Some (snd kv) | None => None end.

Lemma keyed_in : forall k v l, NoDup (map fst l) -> In (k, v) l -> keyed k l = Some v.
Proof.
  intros k v l. induction l as [|[k' v'] t IH]; intros Nd H; [destruct H|].
  inversion Nd as [|x y Nx Nt]; subst. unfold keyed. simpl.
  destruct H as [E | H].
  - inversion E; subst. rewrite str_eqb_refl. reflexivity.
  - destruct (str_eqb k' k) eqn:Ek.
    + apply str_eqb_eq in Ek. subst. exfalso. apply Nx. apply (in_map fst) in H. exact H.
    + exact (IH Nt H).
Qed.

Lemma keyed_perm : forall k l1 l2, Permutation l1 l2 -> NoDup (map fst l1) -> keyed k l1 = keyed k l2.
Proof.
  intros k l1 l2 P Nd.
  assert (Nd2 : NoDup (map fst l2)) by (apply (Permutation_NoDup (Permutation_map fst P)); exact Nd).
  destruct (keyed k l1) as [v|] eqn:K1.
  - symmetry. apply keyed_in; [exact Nd2|]. apply (Permutation_in _ P).
    unfold keyed in K1. destruct (find _ l1) as [[k' v']|] eqn:F; [|discriminate].
    apply find_some in F. destruct F as [F E]. apply str_eqb_eq in E. simpl in *. inversion K1; subst. exact F.
  - unfold keyed in *. destruct (find (fun kv => str_eqb (fst kv) k) l2) as [[k' v']|] eqn:F; [|reflexivity].
    apply find_some in F. destruct F as [F E]. apply str_eqb_eq in E. simpl in E. subst k'.
    apply (Permutation_in _ (Permutation_sym P)) in F.
    destruct (find (fun kv => str_eqb (fst kv) k) l1) eqn:F1; [discriminate|].
    exfalso. pose proof (find_none _ _ F1 _ F) as X. simpl in X. rewrite str_eqb_refl in X. discriminate.
Qed.

Lemma header_keys_nodup : forall c sf bh, NoDup (map fst (header_fields c sf bh)).
Proof.
  intros c sf bh. unfold header_fields. destruct (sf_approval sf) as [[k n]|];
    repeat constructor; simpl; intuition discriminate.
Qed.

Lemma mode_name_injective : forall a b, mode_name a = mode_name b -> a = b.
Proof. intros [] []; intros H; try reflexivity; discriminate. Qed.

(** Equal signed bytes mean the same decision fields, the same context and the same body. *)
Theorem signed_bytes_injective : forall c1 c2 sf1 sf2 b1 b2,
  context_ok c1 = true -> context_ok c2 = true ->
  str_ok (sha256_hex b1) = true -> str_ok (sha256_hex b2) = true ->
  signed_bytes c1 sf1 b1 = signed_bytes c2 sf2 b2 -> sf1 = sf2 /\ c1 = c2 /\ b1 = b2.
Proof.
  intros c1 c2 sf1 sf2 b1 b2 C1 C2 H1 H2 E.
  assert (Ok : forall c sf b, context_ok c = true -> str_ok b = true -> all_ok (header_fields c sf b) = true).
  { intros c sf b Cc Hb. unfold context_ok in Cc. repeat rewrite Bool.andb_true_iff in Cc.
    destruct Cc as [[[[K T] Ts] Hh] Hx].
    destruct (names_ok (sf_agent sf) no_code 0) as [A _].
    unfold header_fields, all_ok. destruct (sf_approval sf) as [[k n]|]; simpl;
      [destruct (names_ok 0 k n) as [_ Cd]; rewrite Cd|]; rewrite K, T, Ts, Hh, Hx, A, Hb;
      destruct (sf_mode sf); reflexivity. }
  assert (NoBh : forall c sf b, ~ In body_hash_key (map fst (header_fields c sf b))).
  { intros c sf b. unfold header_fields. destruct (sf_approval sf) as [[k n]|]; simpl; intuition discriminate. }
  destruct (payload_injective _ _ _ _ (Ok _ sf1 _ C1 H1) (Ok _ sf2 _ C2 H2) H1 H2 (NoBh _ _ _) (NoBh _ _ _) E) as [Hb P].
  apply sha256_collision_resistant in Hb. subst b2.
  pose proof (fun k => keyed_perm k _ _ P (header_keys_nodup c1 sf1 (sha256_hex b1))) as K.
  destruct sf1 as [a1 m1 ap1], sf2 as [a2 m2 ap2], c1 as [k1 t1 s1 h1 x1], c2 as [k2 t2 s2 h2 x2].
  pose proof (K k_agent) as Ka. pose proof (K k_oversight) as Km. pose proof (K k_approval) as Kp.
  pose proof (K k_kid) as Kk. pose proof (K k_tenant) as Kt. pose proof (K k_ts) as Ks.
  pose proof (K k_h) as Kh. pose proof (K k_hh) as Kx.
  unfold header_fields, keyed in Ka, Km, Kp, Kk, Kt, Ks, Kh, Kx. simpl in Ka, Km, Kp, Kk, Kt, Ks, Kh, Kx.
  destruct ap1 as [[p1 n1]|], ap2 as [[p2 n2]|]; simpl in Ka, Km, Kp, Kk, Kt, Ks, Kh, Kx;
    inversion Ka as [Ea]; inversion Km as [Em]; inversion Kk; inversion Kt; inversion Ks; inversion Kh; inversion Kx;
    try inversion Kp as [Ep];
    apply agent_name_injective in Ea; apply mode_name_injective in Em; subst;
    try (destruct (code_name_injective _ _ _ _ Ep); subst);
    try discriminate; repeat split; reflexivity.
Qed.

(** ** The end-to-end theorem *)

Variables (ttl : nat) (ea : expiry_action) (default_agent : nat) (initial_mode : mode).

Let run' := run ttl ea default_agent initial_mode.

(** Key confinement: everything the server's key ever signed is the signed bytes of a message
    the model signed, in some reachable state (the delivery step is the key's only use). *)
Definition confined (pk : public_key) : Prop :=
  forall m, signed_with pk m ->
    exists tr i msg sf c body, w_msgs (run' tr) i = Some msg /\ m_sig msg = Some sf /\ context_ok c = true /\
      str_ok (sha256_hex body) = true /\ m = signed_bytes c sf body.

(** Anyone who checks an identity signature with the server's public key learns that the message
    it covers was authorized as [signed_only_if_authorized] says: an unreviewed send its mode
    allowed at the request, a human approval before the deadline by an oversight credential that
    did not send it, or (only if so configured) expiry — with the very agent, mode and approval
    code the header states, and the very body. *)
Theorem verified_signature_was_authorized : forall pk c sf body s,
  confined pk -> context_ok c = true -> str_ok (sha256_hex body) = true ->
  ecdsa_verify pk (signed_bytes c sf body) s = true ->
  exists tr i msg, w_msgs (run' tr) i = Some msg /\ m_sig msg = Some sf /\
    m_dir msg = outbound /\ sf = Signed (m_agent msg) (m_mode msg) (m_approval msg) /\
    ( (m_approval msg = None /\
       exists pre p fo ag rq rc post, tr = pre ++ e_request i p fo ag rq rc :: post /\
         w_msgs (run' pre) i = None /\
         m_mode msg = effective_mode (w_mode (run' pre)) rq /\
         unreviewed_send (m_mode msg) (all_allowlisted (w_allowlist (run' pre)) rc) = true /\
         sc_send (p_scopes p) = true /\ m_sender msg = Some (p_id p))
    \/ (exists pre p post m0 t, tr = pre ++ e_decide i p approve true :: post /\
         w_msgs (run' pre) i = Some m0 /\ m_status m0 = pending_approval /\
         m_expires m0 = Some t /\ w_clock (run' pre) < t /\
         sc_oversight (p_scopes p) = true /\ m_sender msg <> Some (p_id p) /\
         m_approval msg = Some (human_code, w_next (run' pre)))%nat
    \/ (ea = expire_approve /\ exists pre e post m0 t, tr = pre ++ e :: post /\
         w_msgs (run' pre) i = Some m0 /\ m_status m0 = pending_approval /\
         m_expires m0 = Some t /\ t <= w_clock (run' pre) /\
         m_approval msg = Some (expiry_code, w_next (run' pre)))%nat).
Proof.
  intros pk c sf body s Conf Cc Hb V.
  apply ecdsa_p256_unforgeable in V. destruct (Conf _ V) as (tr & i & msg & sf' & c' & body' & Hm & Sg & Cc' & Hb' & E).
  destruct (signed_bytes_injective c c' sf sf' body body' Cc Cc' Hb Hb' E) as (-> & -> & ->).
  exists tr, i, msg. split; [exact Hm|]. split; [exact Sg|].
  exact (signed_only_if_authorized ttl ea default_agent initial_mode tr i msg sf' Hm Sg).
Qed.

End Signing.
